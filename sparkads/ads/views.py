"""TikTok's ads webhooks: REPORT_DATA_CHANGE, AD and CREATIVE_FATIGUE, on one callback."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.http import receive_webhook
from integrations.tiktok import webhooks as tiktok_webhooks

from . import webhooks


@csrf_exempt
@require_POST
def ads_webhook(request: HttpRequest) -> HttpResponse:
    """Signed by TikTok, so exempt from CSRF; an account's spend read is made due (the
    dispatcher's next tick reads it) or an ad is flagged, in the delivery's transaction."""
    return receive_webhook(request, "spark_ads", tiktok_webhooks.parse_ads_events, webhooks.apply)

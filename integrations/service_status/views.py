"""TikTok's API_SERVICE_STATUS webhook, and the staff page of TikTok One API incidents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ..http import receive_webhook
from ..models import ApiIncident, ApiStatusSubscription
from ..tiktok import webhooks
from . import incidents

INCIDENTS_SHOWN = 100


@csrf_exempt
@require_POST
def api_status_webhook(request: HttpRequest) -> HttpResponse:
    """TikTok's API_SERVICE_STATUS delivery: an API incident was created, updated or resolved."""
    return receive_webhook(request, "api_service_status", webhooks.parse_api_service_status, incidents.apply)


@staff_member_required
@require_GET
def staff_incidents(request: HttpRequest) -> HttpResponse:
    """Staff: TikTok One API incidents TikTok reported, open ones first."""
    incidents = ApiIncident.objects.order_by("status", "-first_seen_at")[:INCIDENTS_SHOWN]
    subscription = ApiStatusSubscription.objects.order_by("pk").first()
    return render(request, "staff/api_status.html", {"incidents": incidents, "subscription": subscription})


@staff_member_required
@require_POST
def staff_subscribe(request: HttpRequest) -> HttpResponse:
    """Staff: (re)subscribe the app to TikTok One API incidents; a subscribed app is left as is."""
    sub = incidents.subscribe()
    if sub.subscription_id:
        messages.success(request, f"Subscribed to TikTok One API incidents (subscription {sub.subscription_id}).")
    else:
        messages.error(request, f"TikTok refused the subscription: {sub.last_error}")
    return redirect("integrations:staff_api_status")

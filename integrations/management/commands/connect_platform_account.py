"""Connect the platform's internal TikTok One account from the sandbox (demo and dev only).

On real TikTok a staff member connects it in Django admin ("Connect the platform's TikTok
One account"), consenting on TikTok's screen. Against the sandbox, `make run` does the same
consent through the sandbox's helper API so creators can request Marketplace invites from
the first minute, and subscribes the app to TikTok One API incidents (API_SERVICE_STATUS);
on real TikTok staff subscribe from the staff "TikTok status" page.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.connect import flows as connect
from integrations.models import TikTokOneAccount
from integrations.service_status import incidents

PERSONA = "platform"


def _sandbox(path: str, body: dict[str, Any] | None = None, timeout: float = 5) -> dict[str, Any]:
    # The sandbox's control API is not TikTok, so it is not spoken through the TikTok client.
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"{settings.SANDBOX_URL}{path}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as response:
        return json.loads(response.read())


def _subscribe() -> str:
    """The app hears of TikTok One API incidents from here on (once; a refusal is reported)."""
    sub = incidents.subscribe()
    if sub.subscription_id:
        return f"Subscribed to TikTok One API incidents ({sub.subscription_id})."
    return f"TikTok refused the API_SERVICE_STATUS subscription: {sub.last_error}"


class Command(BaseCommand):
    help = "Connect the sandbox's 'platform' persona as the platform's internal TikTok One account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wait", type=float, default=0, help="seconds to wait for the sandbox to answer")

    def handle(self, *args: Any, wait: float = 0, **options: Any) -> str:
        if TikTokOneAccount.objects.filter(is_internal=True).exists():
            return "The platform's internal TikTok One account is already connected. " + _subscribe()
        if settings.TIKTOK_BUSINESS_API_BASE_URL != settings.SANDBOX_URL:
            raise CommandError("Not pointed at the sandbox: connect it in Django admin on real TikTok.")
        deadline = time.monotonic() + wait
        while True:
            try:
                _sandbox("/sandbox/api/state")
                break
            except (urllib.error.URLError, OSError) as exc:
                if time.monotonic() >= deadline:
                    raise CommandError(f"The sandbox does not answer at {settings.SANDBOX_URL}: {exc}") from exc
                time.sleep(0.5)
        redirect_uri = f"{settings.SITE_URL}/integrations/tiktok/callback/"
        # Issued to the platform's app: the sandbox serves more than one (docs/sandbox.md).
        code = _sandbox(
            "/sandbox/api/helpers/portal-auth",
            {"persona": PERSONA, "redirect_uri": redirect_uri, "app_id": settings.TIKTOK_APP_ID},
        )
        connect.connect(None, code["auth_code"])
        internal = TikTokOneAccount.objects.filter(is_internal=True).first()
        if internal is None:
            raise CommandError(f"The sandbox persona {PERSONA!r} has no TikTok One account to connect.")
        return f"Connected “{internal}” as the platform's internal TikTok One account. " + _subscribe()

"""The one way a creator is told about a change: an email after the change commits."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from integrations import mail
from integrations.models import TikTokAccount
from integrations.words import clipped


def notify(account: TikTokAccount, text: str) -> None:
    """Email the creator (queued after commit, so a rolled-back change sends nothing)."""
    user = account.owner
    if user is None or not user.email:
        return
    subject = f"TikTok @{account.handle}: {clipped(text, mail.SUBJECT_CHARS)}"
    body = f"{text}\n\nSee your Social Accounts page: {settings.SITE_URL}{reverse('creators:home')}"
    mail.send_later(subject, body, [user.email])

"""Outgoing mail: queued for a worker after the transaction commits, never sent in a request.

SMTP being slow or down must not turn a request whose work is already committed (signup,
password reset, a webhook) into a 500: the worker's task retries with backoff, and if even
the broker is unreachable the mail is logged as lost and the request carries on.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def send_later(
    subject: str, body: str, to: list[str], *, from_email: str = "", html: str = "", headers: dict | None = None
) -> None:
    """Queue one message once the current transaction commits (at once outside one)."""
    message = {
        "subject": subject,
        "body": body,
        "to": list(to),
        "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
        "html": html,
        "headers": headers or {},
    }
    transaction.on_commit(lambda: _enqueue(message))


def _enqueue(message: dict) -> None:
    from .tasks import send_email

    try:
        if settings.EMAIL_VIA_WORKER:
            # No publish retries: with the broker down the request must not wait on it.
            send_email.apply_async(kwargs=message, retry=False)
        else:
            send_email.apply(kwargs=message)
    except Exception:
        logger.exception("mail to %s not queued (broker unreachable?): %s", message["to"], message["subject"])

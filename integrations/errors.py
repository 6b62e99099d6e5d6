"""The error a flow raises when it cannot do what a person asked, and the words for a failed
TikTok call."""

from __future__ import annotations

from .tiktok.errors import CONNECTION, TIMEOUT, Kind, TikTokError


class FlowError(Exception):
    """A step that stored nothing; ``message`` is for the person's page: what went wrong
    and what to do. ``retryable`` says whether trying again later may work."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


def message_for(exc: FlowError | TikTokError) -> str:
    """What a person reads when a flow step or a TikTok call failed: what happened and what
    to do, never the transport's own words (a "ConnectionError" means nothing to them)."""
    if isinstance(exc, FlowError):
        return exc.message
    if exc.code in (TIMEOUT, CONNECTION):
        return "TikTok did not answer in time; try again in a minute."
    if exc.kind == Kind.TRANSIENT:
        return "TikTok is busy or not answering right now. Please try again in a minute."
    if exc.kind == Kind.AUTH:
        return "TikTok no longer accepts this connection. Reconnect it on the Integrations page."
    return f"TikTok refused the request: {exc.message}"

"""The error a flow raises when it cannot do what a person asked."""

from __future__ import annotations


class FlowError(Exception):
    """A step that stored nothing; ``message`` is for the person's page: what went wrong
    and what to do. ``retryable`` says whether trying again later may work."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable

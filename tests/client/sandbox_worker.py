"""Run in child processes by test_against_sandbox: one platform process calling TikTok."""

from __future__ import annotations

import os


def call_bc_get(env: dict[str, str], token: str, calls: int) -> list[str]:
    """Set up Django with ``env`` (sandbox URLs, budget on), make ``calls`` bc/get calls,
    and return the outcome of each ("ok" or the error code)."""
    os.environ.update(env)
    import django

    django.setup()
    from integrations.tiktok import BusinessClient, TikTokError

    client = BusinessClient(token)
    outcomes = []
    for _ in range(calls):
        try:
            client.bc_get()
            outcomes.append("ok")
        except TikTokError as exc:
            outcomes.append(str(exc.code))
    return outcomes

"""Random ids and secrets in TikTok's formats."""

from __future__ import annotations

import secrets
import string

_CODE_ALPHABET = string.ascii_letters + string.digits + "+/"


def numeric_id(prefix: str = "7") -> str:
    """A 19-digit id, like every TikTok id the platform stores."""
    return prefix + "".join(secrets.choice(string.digits) for _ in range(19 - len(prefix)))


def token(prefix: str) -> str:
    return f"{prefix}.{secrets.token_urlsafe(30)}"


def spark_code() -> str:
    # Real Spark Ads codes start with "#" and contain "+" and "/": clients must URL-encode them.
    return "#" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(64))

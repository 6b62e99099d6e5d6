"""What every client family shares: the transport handle and token grants."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from .transport import Request, Transport


@dataclass
class TokenGrant:
    """An OAuth token response, normalized across tt_user and API for Business advertiser grants.

    Lifetimes always come from each response's ``expires_in`` / ``refresh_token_expires_in``:
    TikTok documents tt_user tokens as 24 h / 1 year, and has changed these before.
    Token values are excluded from repr so they never reach a log or a traceback.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_in: int | None = None
    refresh_expires_in: int | None = None
    open_id: str = ""
    scope: str = ""
    token_type: str = ""
    advertiser_ids: list[str] = field(default_factory=list)
    creator_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, data: dict[str, Any]) -> TokenGrant:
        scope = data.get("scope") or ""
        if isinstance(scope, list):  # API for Business returns integer permission ids
            scope = ",".join(str(s) for s in scope)
        refresh_expires_in = data.get("refresh_token_expires_in")
        return cls(
            access_token=str(data.get("access_token") or ""),
            refresh_token=str(data.get("refresh_token") or ""),
            expires_in=int(data["expires_in"]) if data.get("expires_in") is not None else None,
            refresh_expires_in=int(refresh_expires_in) if refresh_expires_in is not None else None,
            open_id=str(data.get("open_id") or ""),
            scope=str(scope),
            token_type=str(data.get("token_type") or ""),
            advertiser_ids=[str(a) for a in data.get("advertiser_ids") or []],
            creator_id=str(data.get("creator_id") or ""),
            raw=data,
        )

    def access_expires_at(self, now: datetime | None = None) -> datetime | None:
        if self.expires_in is None:
            return None
        return (now or timezone.now()) + timedelta(seconds=self.expires_in)

    def refresh_expires_at(self, now: datetime | None = None) -> datetime | None:
        if self.refresh_expires_in is None:
            return None
        return (now or timezone.now()) + timedelta(seconds=self.refresh_expires_in)


class BusinessBase:
    """Holds the API for Business token and transport; family mixins add the endpoints."""

    def __init__(self, access_token: str | None = None) -> None:
        self.access_token = access_token
        self.transport = Transport()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(access_token={'***' if self.access_token else None})"

    @property
    def app_id(self) -> str:
        return settings.TIKTOK_APP_ID

    @property
    def secret(self) -> str:
        return settings.TIKTOK_APP_SECRET

    def _get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        authed: bool = True,
    ) -> Any:
        token = self.access_token if authed else None
        return self.transport.send(Request("GET", path, access_token=token, params=params, headers=headers or {}))

    def _post(self, path: str, body: dict[str, Any], *, idempotent: bool = False, authed: bool = True) -> Any:
        """POST JSON; ``None`` values are dropped so optional fields are simply absent."""
        token = self.access_token if authed else None
        clean = {k: v for k, v in body.items() if v is not None}
        return self.transport.send(Request("POST", path, access_token=token, json=clean, idempotent=idempotent))

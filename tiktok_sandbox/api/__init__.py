"""The API for Business under /open_api/v1.3/: one dispatcher, handlers registered by path.

Handlers live in the module named after the client family that calls them
(`integrations/tiktok/<family>.py` -> `tiktok_sandbox/api/<family>.py`): `business`, `tto`, `spark`,
`ads`.

A handler receives a `Call` (parameters from the query string or JSON body, the token) and
returns the `data` object, or raises BusinessError; the dispatcher builds the envelope.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from tiktok_sandbox import clock
from tiktok_sandbox.envelopes import BusinessError, business_error, business_ok
from tiktok_sandbox.models import BusinessUser, OAuthToken


@dataclass
class Endpoint:
    method: str
    auth: str  # "app": no token; "advertiser" / "tt_user": that token kind in Access-Token
    handler: Callable[[Call], Any]


REGISTRY: dict[str, Endpoint] = {}


def endpoint(path: str, method: str, auth: str = "advertiser") -> Callable:
    def register(func: Callable) -> Callable:
        REGISTRY[path] = Endpoint(method, auth, func)
        return func

    return register


class Call:
    def __init__(self, request: HttpRequest, params: dict, token: OAuthToken | None) -> None:
        self.request = request
        self.params = params
        self.token = token

    @property
    def user(self) -> BusinessUser | None:
        return self.token.business_user if self.token else None

    def str(self, name: str, required: bool = True, default: str = "") -> str:
        value = self.params.get(name)
        if value in (None, ""):
            if required:
                raise BusinessError(40002, f"{name}: Missing data for required field.")
            return default
        return str(value)

    def list(self, name: str, required: bool = False) -> list:
        value = self.params.get(name)
        if isinstance(value, str):
            # GET arrays arrive JSON-encoded in the query string.
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise BusinessError(40002, f"{name}: Not a valid list.") from exc
        if value in (None, ""):
            value = []
        if not isinstance(value, list):
            raise BusinessError(40002, f"{name}: Not a valid list.")
        if required and not value:
            raise BusinessError(40002, f"{name}: Missing data for required field.")
        return [str(v) if isinstance(v, int) else v for v in value]

    def dict(self, name: str) -> dict:
        value = self.params.get(name) or {}
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise BusinessError(40002, f"{name}: Not a valid object.") from exc
        if not isinstance(value, dict):
            raise BusinessError(40002, f"{name}: Not a valid object.")
        return value

    def int(self, name: str, default: int, low: int = 1, high: int = 1000) -> int:
        raw = self.params.get(name, default)
        try:
            value = int(raw)
        except (TypeError, ValueError) as exc:
            raise BusinessError(40002, f"{name}: Not a valid integer.") from exc
        if not low <= value <= high:
            raise BusinessError(40002, f"{name}: Must be between {low} and {high}.")
        return value

    def page(self, items: list, default_size: int = 10, max_size: int = 50) -> tuple[list, dict]:
        page = self.int("page", 1, 1, 100_000)
        size = self.int("page_size", default_size, 1, max_size)
        total = len(items)
        info = {"page": page, "page_size": size, "total_number": total, "total_page": (total + size - 1) // size}
        return items[(page - 1) * size : page * size], info

    def check_app(self, id_field: str = "app_id", secret_field: str = "secret") -> str:
        """The calling app's id, once its id and secret match one of the sandbox's apps."""
        app_id = self.str(id_field)
        if app_id not in settings.SANDBOX_APPS or self.str(secret_field) != settings.SANDBOX_APPS[app_id]:
            raise BusinessError(40001, "Invalid app_id or secret.")
        return app_id


def _params(request: HttpRequest) -> dict:
    if request.method == "GET":
        return request.GET.dict()
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except ValueError as exc:
        raise BusinessError(40000, "Request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise BusinessError(40000, "Request body must be a JSON object.")
    return body


def token_for(value: str, kind: str) -> OAuthToken:
    if not value:
        raise BusinessError(40104, "Access token is null.")
    # Only the user a token of this kind belongs to: a creator's row is wide, and every
    # advertiser call would read an empty one.
    owner = "tiktok_user" if kind == "tt_user" else "business_user"
    token = OAuthToken.objects.select_related(owner).filter(access_token=value).first()
    if token is None or token.revoked_at or token.kind != kind:
        raise BusinessError(40105, "Access token is incorrect or has been revoked.")
    if token.access_expires_at and token.access_expires_at <= clock.now():
        raise BusinessError(40102, "Access token has expired.")
    return token


@csrf_exempt
def dispatch(request: HttpRequest, path: str) -> HttpResponse:
    key = path if path.endswith("/") else path + "/"
    spec = REGISTRY.get(key)
    if spec is None:
        return business_error(40400, f"Path /open_api/v1.3/{key} is not found.")
    if request.method != spec.method:
        return business_error(40400, f"Method {request.method} is not allowed; use {spec.method}.")
    try:
        params = _params(request)
        token = None
        if spec.auth != "app":
            token = token_for(request.headers.get("Access-Token", ""), spec.auth)
        return business_ok(spec.handler(Call(request, params, token)))
    except BusinessError as exc:
        return business_error(exc.code, exc.message, exc.status)


def load_handlers() -> None:
    """Import the handler modules so their @endpoint decorators register."""
    from tiktok_sandbox.api import ads, business, spark, tto  # noqa: F401

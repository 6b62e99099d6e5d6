"""TikTok's three response shapes, built in one place so every endpoint answers alike."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from django.http import JsonResponse


def request_id() -> str:
    # TikTok's request_id / log_id: a timestamp prefix plus random hex.
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(13).upper()


class BusinessError(Exception):
    """Raised by API for Business handlers; becomes HTTP 200 with a non-zero code."""

    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def business_ok(data: Any) -> JsonResponse:
    return JsonResponse({"code": 0, "message": "OK", "request_id": request_id(), "data": data})


def business_error(code: int, message: str, status: int = 200) -> JsonResponse:
    body = {"code": code, "message": message, "request_id": request_id(), "data": {}}
    return JsonResponse(body, status=status)


def login_kit_ok(data: Any) -> JsonResponse:
    return JsonResponse({"data": data, "error": {"code": "ok", "message": "", "log_id": request_id()}})


LOGIN_KIT_STATUS = {
    "access_token_invalid": 401,
    "scope_not_authorized": 401,
    "invalid_params": 400,
    "scope_permission_missed": 400,
    "rate_limit_exceeded": 429,
    "internal_error": 500,
}


def login_kit_error(code: str, message: str) -> JsonResponse:
    body = {"data": {}, "error": {"code": code, "message": message, "log_id": request_id()}}
    return JsonResponse(body, status=LOGIN_KIT_STATUS.get(code, 400))


OAUTH_STATUS = {"invalid_client": 401, "server_error": 500, "temporarily_unavailable": 503}


def oauth_error(error: str, description: str) -> JsonResponse:
    body = {"error": error, "error_description": description, "log_id": request_id()}
    return JsonResponse(body, status=OAUTH_STATUS.get(error, 400))

"""The API for Business response envelope, built in one place so every endpoint answers alike."""

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

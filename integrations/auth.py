"""Glue between django-allauth and django-axes."""

from __future__ import annotations


def axes_username(request, credentials: dict | None) -> str | None:
    """The login being attempted, so lockouts are per (IP, login) and not per IP.

    allauth authenticates with `email=`, not `username=`, which axes would read as None and
    so lock out everyone behind the same address.
    """
    credentials = credentials or {}
    login = credentials.get("email") or credentials.get("username")
    if not login and request is not None:
        login = request.POST.get("login")
    return login.strip().lower() if login else None

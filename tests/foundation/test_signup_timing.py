"""Signing up answers in the same time whether or not the address is registered: with
enumeration prevented, only the time could tell who has an account."""

from __future__ import annotations

import statistics
import time

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _signup_seconds(email: str) -> float:
    client = Client()
    started = time.perf_counter()
    response = client.post(
        reverse("account_signup"), {"email": email, "password1": "a-Long-pass-9876", "password2": "a-Long-pass-9876"}
    )
    took = time.perf_counter() - started
    assert response.status_code == 302
    return took


def test_signup_takes_as_long_for_a_registered_address_as_for_a_new_one(settings, user_factory):
    # Production's: mandatory verification (allauth hides registered addresses only then)
    # and its hasher, whose cost is what would tell the two apart.
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user_factory(email="taken@example.test")
    registered = statistics.median(_signup_seconds("taken@example.test") for _ in range(3))
    new = statistics.median(_signup_seconds(f"new{n}@example.test") for n in range(3))
    assert 0.5 < registered / new < 2, (registered, new)

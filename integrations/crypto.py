"""Token encryption at rest.

Tokens are encrypted with Fernet under TOKEN_ENCRYPTION_KEYS, a list whose first key
encrypts and whose every key is tried on decrypt (MultiFernet), so keys can be rotated
without downtime. A value that no key decrypts raises: returning the ciphertext, as some
libraries do, would send garbage to TikTok and hide a configuration error.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class TokenDecryptionError(Exception):
    """No configured key decrypts a stored value: the key list is wrong or incomplete."""


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS must be Fernet keys (urlsafe base64 of 32 bytes); "
            'make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        ) from exc


def fernet() -> MultiFernet:
    return _multifernet(tuple(settings.TOKEN_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise TokenDecryptionError(
            "A stored token could not be decrypted with any key in TOKEN_ENCRYPTION_KEYS."
        ) from exc


def rotate(ciphertext: str) -> str:
    """Re-encrypt under the first (newest) key."""
    try:
        return fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise TokenDecryptionError("A stored token could not be decrypted for rotation.") from exc


class EncryptedTextField(models.TextField):
    """A TextField stored encrypted; empty strings stay empty so "no token" is visible."""

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str | None:
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value: str | None) -> str | None:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

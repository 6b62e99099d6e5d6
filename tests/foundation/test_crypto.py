from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from integrations.crypto import TokenDecryptionError
from integrations.models import Credential

pytestmark = pytest.mark.django_db

SECRET = "act.secret-access-token-value-123"


def raw_column(pk: int, column: str = "access_token") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM integrations_credential WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_tokens_are_stored_encrypted_and_read_back_in_clear():
    cred = Credential.objects.create(kind="business", access_token=SECRET, refresh_token="rft.other-secret")
    assert SECRET not in raw_column(cred.pk)
    assert "rft.other-secret" not in raw_column(cred.pk, "refresh_token")
    assert Credential.objects.get(pk=cred.pk).access_token == SECRET


def test_an_empty_token_stays_empty():
    cred = Credential.objects.create(kind="business")
    assert raw_column(cred.pk) == ""
    assert Credential.objects.get(pk=cred.pk).access_token == ""


def test_a_wrong_key_raises_instead_of_returning_ciphertext(settings):
    cred = Credential.objects.create(kind="business", access_token=SECRET)
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(TokenDecryptionError):
        Credential.objects.get(pk=cred.pk)


def test_a_new_key_keeps_old_rows_readable_and_rotation_moves_them_to_it(settings):
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    cred = Credential.objects.create(kind="business", access_token=SECRET)
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]
    assert Credential.objects.get(pk=cred.pk).access_token == SECRET

    call_command("rotate_token_keys")

    assert Fernet(new_key.encode()).decrypt(raw_column(cred.pk).encode()).decode() == SECRET
    settings.TOKEN_ENCRYPTION_KEYS = [new_key]
    assert Credential.objects.get(pk=cred.pk).access_token == SECRET

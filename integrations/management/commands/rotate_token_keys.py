"""Re-encrypt every stored token with the newest key in TOKEN_ENCRYPTION_KEYS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.template.defaultfilters import pluralize

from integrations import crypto
from integrations.crypto import EncryptedTextField

BATCH = 500


def encrypted_columns() -> Iterator[tuple[str, str, list[str]]]:
    """(table, pk column, [encrypted columns]) for every model with an encrypted field."""
    for model in apps.get_models():
        # Concrete fields always have a column; the checks only tell the type checker so.
        columns = [f.column for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField) and f.column]
        pk_column = model._meta.pk.column
        if columns and pk_column:
            yield model._meta.db_table, pk_column, columns


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column under the first key of TOKEN_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> str:
        # Raw SQL on purpose: the ORM would decrypt on read and encrypt on write, and the
        # point here is to rewrite the ciphertext itself, batch by batch.
        q = connection.ops.quote_name
        rows = 0
        for table, pk, columns in encrypted_columns():
            cols = ", ".join(q(c) for c in columns)
            sets = ", ".join(f"{q(c)} = %s" for c in columns)
            last_pk = 0
            while True:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT {q(pk)}, {cols} FROM {q(table)} WHERE {q(pk)} > %s ORDER BY {q(pk)} LIMIT %s",
                        [last_pk, BATCH],
                    )
                    batch = cursor.fetchall()
                if not batch:
                    break
                with transaction.atomic(), connection.cursor() as cursor:
                    for row_pk, *values in batch:
                        rotated = [crypto.rotate(v) if v else v for v in values]
                        cursor.execute(f"UPDATE {q(table)} SET {sets} WHERE {q(pk)} = %s", [*rotated, row_pk])
                        rows += 1
                last_pk = batch[-1][0]
        return f"Re-encrypted {rows} row{pluralize(rows)} with the newest key."

"""Root conftest: loaded before Django is set up, so the test profile is selected here."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ENV", "test")

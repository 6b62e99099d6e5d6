"""pytest's settings: the "test" profile of aspire_tiktok.settings (dev keys, fast hashing).

pytest-django loads settings before any conftest runs, so the profile is chosen here.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ENV", "test")

from .settings import *  # noqa: E402,F403

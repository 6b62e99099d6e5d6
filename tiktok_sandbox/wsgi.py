"""WSGI entry point of the sandbox (runsandbox serves it)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiktok_sandbox.settings")
application = get_wsgi_application()

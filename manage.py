#!/usr/bin/env python
"""Django's command-line utility.

`manage.py runsandbox` runs the TikTok sandbox, a separate site with its own settings and
database, so it is pointed at tiktok_sandbox.settings before Django loads.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    default = "tiktok_sandbox.settings" if sys.argv[1:2] == ["runsandbox"] else "aspire_tiktok.settings"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

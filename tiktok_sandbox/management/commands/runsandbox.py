"""`python manage.py runsandbox [addrport] [--reset]`: migrate the sandbox's own database,
seed the world if it is empty, then serve TikTok's paths (threaded, no autoreload, stamping
each request's arrival: tiktok_sandbox/server.py)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.servers.basehttp import get_internal_wsgi_application, run

from tiktok_sandbox.server import SandboxWSGIServer


class Command(BaseCommand):
    help = "Run the TikTok sandbox (default 127.0.0.1:8001)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8001")
        parser.add_argument("--reset", action="store_true", help="wipe and reseed the world first")

    def handle(self, *args, addrport: str, reset: bool, **options) -> None:
        from django.conf import settings

        if settings.ROOT_URLCONF != "tiktok_sandbox.urls":
            raise CommandError("runsandbox needs DJANGO_SETTINGS_MODULE=tiktok_sandbox.settings (manage.py sets it).")
        host, _, port = addrport.rpartition(":")
        host = host or "127.0.0.1"
        call_command("migrate", verbosity=0, interactive=False)
        from tiktok_sandbox import seed

        if reset:
            seed.wipe_world()
        if not seed.is_seeded():
            seed.seed_world()
        self.stdout.write(f"TikTok sandbox on http://{host}:{port}/ (control: /sandbox/control/)", ending="\n")
        self.stdout.flush()
        run(host, int(port), get_internal_wsgi_application(), threading=True, server_cls=SandboxWSGIServer)

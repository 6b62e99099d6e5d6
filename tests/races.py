"""Many people pressing one button at once: threads with their own test Client, released
together by a barrier, each on its own database connection."""

from __future__ import annotations

import threading

from django.db import connections
from django.test import Client


def submit_together(user, count: int, path: str, data: dict) -> list:
    """POST `data` to `path` from `count` threads at once, following redirects; returns the
    responses, or the exception a thread raised in its place."""
    barrier = threading.Barrier(count)
    results: list = []

    def submit():
        client = Client()
        client.force_login(user)
        try:
            barrier.wait()
            results.append(client.post(path, data, follow=True))
        except Exception as exc:  # noqa: BLE001 - the caller's assertions report it
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results

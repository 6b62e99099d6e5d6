"""The sandbox's own screens send a Content-Security-Policy and serve their script themselves."""

from __future__ import annotations

import requests


def test_sandbox_screens_send_a_policy_and_load_their_script_from_the_sandbox(sandbox):
    page = requests.get(f"{sandbox.url}/sandbox/control/", timeout=10)
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert '<script src="/sandbox/sandbox.js" defer></script>' in page.text
    assert 'data-confirm="Wipe and reseed the sandbox?"' in page.text
    script = requests.get(f"{sandbox.url}/sandbox/sandbox.js", timeout=10)
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert "dataset.confirm" in script.text

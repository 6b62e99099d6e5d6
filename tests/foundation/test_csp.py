"""Content-Security-Policy: every page sends it, and no template needs inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE = {
    "inline <script> body": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "on*= event handler": re.compile(r"""\son[a-z]+\s*=\s*["'{]""", re.I),
    "style= attribute": re.compile(r"""\sstyle\s*=\s*["'{]""", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def _templates():
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))


def test_the_template_scan_covers_the_platform_admin_and_sandbox_templates():
    names = {p.relative_to(ROOT).as_posix() for p in _templates()}
    assert "templates/_base.html" in names
    assert "tiktok_sandbox/templates/sandbox/control.html" in names
    assert "integrations/templates/admin/integrations/tiktokoneaccount/change_list.html" in names


@pytest.mark.parametrize("kind", INLINE)
def test_no_template_holds_inline_script_or_style(kind):
    found = [
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}"
        for path in _templates()
        for text in [path.read_text()]
        for m in INLINE[kind].finditer(text)
    ]
    assert found == [], f"{kind} in {found}"


@pytest.mark.django_db
def test_pages_send_a_policy_that_allows_no_inline_script(client, alice, brand):
    client.force_login(alice)
    for url in (reverse("brand_home", args=[brand.slug]), reverse("healthz")):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["default-src"] == "'self'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_the_login_page_loads_htmx_and_the_app_script_from_static_files(client):
    page = client.get(reverse("account_login"))
    assert "Content-Security-Policy" in page
    scripts = re.findall(r"<script\b[^>]*>", page.content.decode())
    assert scripts and all('src="/static/' in tag for tag in scripts), scripts


@pytest.mark.django_db
def test_with_debug_on_pages_load_htmx_without_the_debug_script_that_writes_error_pages_inline(client, settings):
    settings.DEBUG = True  # as `make run` runs
    scripts = re.findall(r'<script\b[^>]*src="([^"]+)"', client.get(reverse("account_login")).content.decode())
    assert any("htmx-2" in src for src in scripts), scripts
    assert not any("django-htmx.js" in src for src in scripts), scripts

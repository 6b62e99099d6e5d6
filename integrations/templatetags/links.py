"""`web_url`: a link from TikTok's side, or nothing if it is not a web address.

TikTok (or whatever answers in its place) supplies embed, avatar, thumbnail and invite links
that pages put in `href` and `src`; autoescaping does not stop `javascript:` or `data:` there,
so every such link passes through this filter (a builtin: no `{% load %}` to forget).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def web_url(value: object) -> str:
    """The link if it is an absolute http or https URL, else "" (so `{% if %}` hides the link)."""
    link = str(value or "").strip()
    # urlsplit drops tabs and newlines inside the scheme as browsers do ("java\tscript:").
    parts = urlsplit(link)
    return link if parts.scheme.lower() in ("http", "https") and parts.netloc else ""

"""`on_clock`: a date recorded on real time, shown on the one clock (integrations.tiktok.clock).

A builtin, like `web_url`: a page that shows TikTok's dates beside its own records passes
each record through it, so a sandbox clock moved ahead never puts two clocks on one page.
"""

from __future__ import annotations

from datetime import datetime

from django import template

from integrations.tiktok import clock

register = template.Library()


@register.filter
def on_clock(value: datetime | None) -> datetime | None:
    return None if value is None else clock.on_clock(value)

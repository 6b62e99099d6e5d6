"""Charts drawn on the server as SVG: no JavaScript, no CDN."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from ..models import Campaign, CampaignDayTotal, CampaignPost, PostInsight, PostSnapshot

# The padding leaves room for the axis and legend text at the larger size phones draw it (app.css).
CHART_W, CHART_H, PAD_L, PAD_B, PAD_T = 640, 230, 64, 28, 32
# Bar charts are narrower: a caption of BAR_LABEL_CHARS fits on the line above its bar.
BAR_W, BAR_LABEL_CHARS = 300, 44
ORGANIC, PAID = "#2f855a", "#c05621"


def _nice_max(value: float) -> float:
    """A round axis maximum at or above the value (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** (len(str(int(value))) - 1)
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def _short(n: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.3g}{suffix}"
    return f"{n:.3g}"


def _runs(xs: list[float], days: list[int], values: list[int | None]) -> list[list[tuple[float, int]]]:
    """Points grouped into runs of consecutive days that have a figure: a missing day breaks
    the line, so a gap in TikTok's data is not drawn as a trend across it."""
    runs: list[list[tuple[float, int]]] = []
    previous_day = None
    for x, day, value in zip(xs, days, values, strict=True):
        if value is None:
            previous_day = None
            continue
        if previous_day is None or day - previous_day > 1:
            runs.append([])
        runs[-1].append((x, value))
        previous_day = day
    return runs


def line_chart(title: str, dates: list[date], series: Sequence[tuple[str, str, Sequence[int | None]]]) -> str:
    """Lines over dates placed by calendar day; `series` is (label, colour, values), a value
    of None meaning TikTok gave no figure that day. A lone day is a dot. Returns SVG markup."""
    if not dates:
        return ""
    top = _nice_max(max((max((v or 0 for v in values), default=0) for _, _, values in series), default=0))
    plot_w, plot_h = CHART_W - PAD_L - 8, CHART_H - PAD_B - PAD_T
    days = [(d - dates[0]).days for d in dates]
    span = days[-1]
    # One day sits in the middle; otherwise the first and last days are the plot's edges.
    xs = [PAD_L + (plot_w / 2 if span == 0 else day / span * plot_w) for day in days]

    def y(value: int) -> str:
        return f"{PAD_T + plot_h - value / top * plot_h:.1f}"

    parts = [_axis(top, plot_h)]
    for label, colour, values in series:
        marks = []
        for run in _runs(xs, days, list(values)):
            if len(run) == 1:
                x, value = run[0]
                marks.append(format_html('<circle cx="{}" cy="{}" r="3" fill="{}"/>', f"{x:.1f}", y(value), colour))
            else:
                points = " ".join(f"{x:.1f},{y(value)}" for x, value in run)
                marks.append(
                    format_html('<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>', colour, points)
                )
        parts.append(
            format_html('<g data-series="{}"><title>{}</title>{}</g>', label, label, mark_safe("".join(marks)))
        )
    # At most seven date labels, evenly spread over the calendar span, always the first and last.
    label_days = sorted({round(span * i / 6) for i in range(7)}) if span >= 6 else sorted(set(days))
    for i, day in enumerate(label_days):
        x = PAD_L + (plot_w / 2 if span == 0 else day / span * plot_w)
        # The first and last labels hang inwards so that neither is cut at the chart's edge.
        anchor = "middle" if span == 0 or 0 < day < span else ("start" if day == 0 else "end")
        # Phones draw the text larger and show every other label (app.css), the last always.
        minor = i % 2 == 1 and i < len(label_days) - 1
        parts.append(
            format_html(
                '<text class="{}" x="{}" y="{}" font-size="11" text-anchor="{}">{}</text>',
                "day minor" if minor else "day",
                f"{x:.1f}",
                CHART_H - 8,
                anchor,
                (dates[0] + timedelta(days=day)).strftime("%b %d"),
            )
        )
    legend = [format_html('<tspan fill="{}">■ {}</tspan> ', colour, label) for label, colour, _ in series]
    parts.append(format_html('<text x="{}" y="22" font-size="11">{}</text>', PAD_L, mark_safe("".join(legend))))
    return _svg(title, parts)


def bar_chart(title: str, bars: Sequence[tuple[str, float | None]], unit: str = "") -> str:
    """Horizontal bars, one per (label, value), each label on its own line above its bar so a
    long caption is never cut at the chart's left edge; None draws no bar. The chart is drawn
    BAR_W wide: it sits in a grid cell or on a phone, where its text stays near its own size."""
    if not bars:
        return ""
    top = _nice_max(max((v or 0 for _, v in bars), default=0))
    row, room_for_value = 34, 44
    height = row * len(bars) + 4
    parts = []
    for i, (label, value) in enumerate(bars):
        y = 2 + i * row
        width = (value or 0) / top * (BAR_W - room_for_value)
        shown = "–" if value is None else f"{_short(value)}{unit}"
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="11">{}</text>'
                '<rect x="0" y="{}" width="{}" height="12" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" font-size="11">{}</text>',
                y + 11,
                Truncator(label).chars(BAR_LABEL_CHARS),
                y + 15,
                f"{width:.1f}",
                ORGANIC,
                label,
                shown,
                f"{width + 4:.1f}",
                y + 25,
                shown,
            )
        )
    return _svg(title, parts, height=height, width=BAR_W, kind="bars")


def _axis(top: float, plot_h: float) -> str:
    ticks = []
    for frac in (0, 0.5, 1):
        y = PAD_T + plot_h - frac * plot_h
        ticks.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>',
                PAD_L,
                CHART_W - 8,
                f"{y:.1f}",
                f"{y:.1f}",
                PAD_L - 4,
                f"{y + 4:.1f}",
                _short(top * frac),
            )
        )
    return mark_safe("".join(ticks))


def _svg(title: str, parts: Sequence[str], height: int = CHART_H, width: int = CHART_W, kind: str = "lines") -> str:
    return format_html(
        '<svg class="chart {}" role="img" viewBox="0 0 {} {}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        "<title>{}</title>{}</svg>",
        kind,
        width,
        height,
        title,
        mark_safe("".join(parts)),
    )


def campaign_charts(campaign: Campaign, days: int = 90) -> dict[str, str]:
    """Paid vs organic views per day, and engagement of the top posts: two queries."""
    totals = list(CampaignDayTotal.objects.filter(campaign=campaign).order_by("-date")[:days])[::-1]
    views = line_chart(
        "Daily views, organic vs paid",
        [t.date for t in totals],
        [("Organic", ORGANIC, [t.views_organic for t in totals]), ("Paid", PAID, [t.views_paid for t in totals])],
    )
    top = (
        PostInsight.objects.filter(campaign=campaign, engagement_count__isnull=False)
        .select_related("post__tiktok_account")
        .order_by("-engagement_count")[:15]
    )
    bars = [
        (i.post.caption or f"@{i.post.tiktok_account.handle} {i.post.video_id[-4:]}", i.engagement_count) for i in top
    ]
    return {"views": views, "engagement": bar_chart("Engagement per post (top 15)", bars)}


def post_series(post: CampaignPost, days: int = 90) -> list[PostSnapshot]:
    return list(PostSnapshot.objects.filter(post=post).order_by("-date")[:days])[::-1]


def post_charts(snapshots: list[PostSnapshot], audience: dict[str, list] | None) -> dict[str, Any]:
    views = line_chart(
        "Daily views, organic vs paid",
        [s.date for s in snapshots],
        [
            ("Organic", ORGANIC, [s.day_views_organic for s in snapshots]),
            ("Paid", PAID, [s.day_views_paid for s in snapshots]),
        ],
    )
    breakdowns = {}
    for key in ("gender", "age", "country", "device"):
        items = (audience or {}).get(key) or []
        bars = [(i["label"], (i["percentage"] or 0) * 100 if i["percentage"] is not None else None) for i in items]
        breakdowns[key] = bar_chart(f"Audience by {key}", bars[:10], unit="%")
    return {"views": views, "audience": breakdowns}

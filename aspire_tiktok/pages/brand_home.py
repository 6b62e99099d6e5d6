"""What needs a brand's attention, gathered from every app for its home page.

The project package may read all apps (as `freshness` does); `integrations` may not read
`creators` or `sparkads`, so this lives here. Each kind of item costs one or two queries
whatever the brand's size: the page's query count does not grow with its data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Min, Q
from django.template.defaultfilters import pluralize
from django.urls import reverse

from creators.marketplace import INVITE_DEADLINE, PROCESSING_TIME
from creators.models import MarketplaceOnboarding
from integrations.models import Brand, Collaboration, TikTokOneAccount
from integrations.service_status import incidents
from integrations.tiktok import clock
from sparkads.models import EXPIRING_WITHIN, AdsManagerLink, SparkAuthorization

# Creators listed by name on the home page; the rest are counted.
STUCK_SHOWN = 5


@dataclass(frozen=True)
class Attention:
    """One thing to act on: what, in a sentence, and the page where to act."""

    kind: str
    title: str
    detail: str
    action: str
    url: str
    tone: str = "warn"
    lines: list[str] = field(default_factory=list)


def attention(brand: Brand) -> list[Attention]:
    """Everything that needs the brand now, most urgent first; empty when all is well."""
    now = clock.now()
    return [
        *_connections(brand),
        *_incidents(brand),
        *_expiring_codes(brand, now),
        *_waiting_on_creators(brand),
        *_stuck_creators(brand, now),
    ]


def _connections(brand: Brand) -> list[Attention]:
    accounts = TikTokOneAccount.objects.filter(brand=brand, removed_at__isnull=True).select_related("credential")
    inactive = [a for a in accounts if a.standing.label == "Inactive"]
    if not inactive:
        return []
    first = inactive[0].standing
    names = ", ".join(f"“{a}”" for a in inactive)
    return [
        Attention(
            "reconnect",
            f"TikTok connection needs reconnecting: {names}",
            f"{first.reason} {first.next_step}",
            "Reconnect in Integrations",
            reverse("integrations:tiktok_settings", args=[brand.slug]),
            tone="bad",
        )
    ]


def _incidents(brand: Brand) -> list[Attention]:
    open_now = incidents.open_incidents()  # the cache, never a query
    if not open_now:
        return []
    titles = [i.get("title") or "Incident" for i in open_now]
    return [
        Attention(
            "incident",
            "TikTok reports a problem with its TikTok One API",
            "Figures, invites and campaign changes may be late or fail until TikTok resolves it; "
            "nothing you started is lost, and the platform catches up by itself.",
            "See your campaigns",
            reverse("integrations:campaigns", args=[brand.slug]),
            lines=titles,
        )
    ]


def _expiring_codes(brand: Brand, now: datetime) -> list[Attention]:
    Status = SparkAuthorization.Status
    soon = now + EXPIRING_WITHIN
    found = SparkAuthorization.objects.filter(
        brand=brand, status__in=[Status.ACTIVE, Status.EXPIRING], auth_end__gt=now, auth_end__lte=soon
    ).aggregate(n=Count("pk"), first=Min("auth_end"))
    if not found["n"]:
        return []
    days = max(0, (found["first"] - now).days)
    first = "today" if days == 0 else f"in {days} day{pluralize(days)}"
    return [
        Attention(
            "expiring",
            f"{found['n']} Spark Ads code{pluralize(found['n'])} expiring within {EXPIRING_WITHIN.days} days",
            f"The first ends {first}. Extend it with the creator, or let it end.",
            "Open the Spark Ads ledger",
            reverse("sparkads:ledger", args=[brand.slug]),
        )
    ]


def _waiting_on_creators(brand: Brand) -> list[Attention]:
    items = []
    requested = SparkAuthorization.objects.filter(brand=brand, status=SparkAuthorization.Status.REQUESTED).count()
    if requested:
        items.append(
            Attention(
                "requests",
                f"{requested} Spark Ads request{pluralize(requested)} waiting on creators",
                "The creator approves on TikTok (notifications) or here; the ledger updates on its own.",
                "Open the Spark Ads ledger",
                reverse("sparkads:ledger", args=[brand.slug]),
                tone="info",
            )
        )
    links = AdsManagerLink.objects.filter(brand=brand, status=AdsManagerLink.Status.PENDING).count()
    if links:
        items.append(
            Attention(
                "links",
                f"{links} Ads Manager link request{pluralize(links)} waiting on the account owner",
                "The TikTok account's owner approves or rejects it on TikTok.",
                "Open Ads Manager links",
                reverse("sparkads:ads_manager", args=[brand.slug]),
                tone="info",
            )
        )
    return items


def _stuck_creators(brand: Brand, now: datetime) -> list[Attention]:
    State = MarketplaceOnboarding.State
    stuck = (
        Q(state__in=[State.OVERDUE, State.NOT_ELIGIBLE, State.INVALID, State.DISCONNECTED])
        | Q(state=State.WAITING, invite_requested_at__lte=now - INVITE_DEADLINE)
        | Q(state=State.PROCESSING, accepted_at__lte=now - PROCESSING_TIME)
    )
    in_brand = Collaboration.objects.filter(campaign__brand=brand).values("tiktok_account_id")
    rows = MarketplaceOnboarding.objects.filter(stuck, tiktok_account_id__in=in_brand).select_related("tiktok_account")
    total = rows.count()
    if not total:
        return []
    shown = list(rows.order_by("state_changed_at", "pk")[:STUCK_SHOWN])
    first_campaign = (
        Collaboration.objects.filter(campaign__brand=brand, tiktok_account_id=shown[0].tiktok_account_id)
        .values_list("campaign_id", flat=True)
        .first()
    )
    lines = [f"{r.tiktok_account}: {_why(r)}" for r in shown]
    if total > len(shown):
        lines.append(f"and {total - len(shown)} more")
    url = (
        reverse("creators:campaign_creators", args=[brand.slug, first_campaign])
        if first_campaign
        else reverse("integrations:campaigns", args=[brand.slug])
    )
    return [
        Attention(
            "stuck",
            f"{total} creator{pluralize(total)} stuck joining the Creator Marketplace",
            "They cannot take part in TikTok One campaigns until they are in. Each line says what they need to do.",
            "See the campaign's creators",
            url,
            lines=lines,
        )
    ]


def _why(onboarding: MarketplaceOnboarding) -> str:
    State = onboarding.State
    if onboarding.state == State.WAITING:
        return "invite not arrived after 24 hours (age verified? authorize TikTok again to request another)"
    if onboarding.state == State.PROCESSING:
        return "TikTok's processing (2+ hours) should be over: they should authorize TikTok again"
    return onboarding.stuck or onboarding.get_state_display()

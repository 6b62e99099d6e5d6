"""What needs a brand's attention, gathered from every app for its home page.

The project package may read all apps (as `freshness` does); `integrations` may not read
`creators` or `sparkads`, so this lives here. Each kind of item costs one or two queries
whatever the brand's size: the page's query count does not grow with its data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.template.defaultfilters import pluralize
from django.urls import reverse

from creators.models import INVITE_DEADLINE, PROCESSING_TIME, MarketplaceOnboarding
from integrations.models import (
    AdAccount,
    Brand,
    BrandInvitation,
    Campaign,
    CampaignPost,
    Collaboration,
    PostSnapshot,
    TikTokOneAccount,
)
from integrations.service_status import incidents
from integrations.tiktok import clock
from sparkads.ads.flows import spend_at_risk_total
from sparkads.models import EXPIRING_WITHIN, AdsManagerLink, SparkAuthorization

# Creators listed by name on the home page; the rest are counted.
STUCK_SHOWN = 5
# The window of "the last 7 days" figures, ending today on TikTok's clock.
RECENT = timedelta(days=7)


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


@dataclass(frozen=True)
class Step:
    """One step of a new brand's setup, done or not as the brand's rows say."""

    title: str
    done: bool
    detail: str
    action: str
    url: str


def first_steps(brand: Brand) -> list[Step]:
    """The setup a brand goes through once, in order, each ticked from what exists now (one
    query); empty once every step is done, so an established brand never sees the list again."""
    live_tto = TikTokOneAccount.objects.filter(brand=OuterRef("pk"), removed_at__isnull=True)
    live_ads = AdAccount.objects.filter(brand=OuterRef("pk"), removed_at__isnull=True)
    state = (
        Brand.objects.filter(pk=brand.pk)
        .annotate(
            has_tto=Exists(live_tto),
            removed_tto=Exists(TikTokOneAccount.objects.filter(brand=OuterRef("pk"), removed_at__isnull=False)),
            has_ads=Exists(live_ads),
            has_spark=Exists(live_ads.filter(is_active_for_spark=True)),
            # Someone besides the person who made the brand: a second member, or an invitation out.
            members=Count("memberships"),
            invited=Exists(BrandInvitation.objects.filter(brand=OuterRef("pk"), cancelled_at__isnull=True)),
            has_campaign=Exists(Campaign.objects.filter(brand=OuterRef("pk"))),
        )
        .values("has_tto", "removed_tto", "has_ads", "has_spark", "members", "invited", "has_campaign")
        .get()
    )
    slug = [brand.slug]
    if state["has_tto"] or not state["removed_tto"]:
        connect_detail = (
            "Sign in on TikTok with the TikTok for Business user that owns your TikTok One account and "
            "your ad account. Creator sourcing, campaigns and Spark Ads all start here."
        )
    else:
        connect_detail = (
            "Support removed your TikTok One account from this brand, so none of its features are used. "
            "Connect your TikTok One account again (or another one)."
        )
    steps = [
        Step(
            "Add TikTok One and Ad Account",
            bool(state["has_tto"] and state["has_ads"]),
            connect_detail,
            "Open Integrations",
            reverse("integrations:tiktok_settings", args=slug),
        ),
        Step(
            "Choose the ad account for Spark Ads",
            bool(state["has_spark"]),
            "Spark Ads are paid for and run from one ad account: pick it under Integrations.",
            "Choose the ad account",
            reverse("integrations:tiktok_settings", args=slug) + "#accounts",
        ),
        Step(
            "Invite your team",
            state["members"] > 1 or bool(state["invited"]),
            "Invite the people who run campaigns with you; each gets an email with a link.",
            "Open Team",
            reverse("integrations:team", args=slug),
        ),
        Step(
            "Create your first campaign",
            bool(state["has_campaign"]),
            "Create a TikTok One campaign, or import the ones you already run on TikTok One.",
            "Open Campaigns",
            reverse("integrations:campaigns", args=slug),
        ),
    ]
    return [] if all(step.done for step in steps) else steps


@dataclass(frozen=True)
class Figure:
    """One number of the brand at a glance, and the page (with its filter) that lists it."""

    label: str
    value: str
    url: str
    key: str


def glance(brand: Brand) -> list[Figure]:
    """The brand at a glance, from stored rows only (never a TikTok call): six queries
    whatever the brand's size. Spend at risk is one figure per currency, never a sum of two."""
    now = clock.now()
    slug = [brand.slug]
    campaigns = reverse("integrations:campaigns", args=slug)
    insights = reverse("integrations:insights", args=slug)
    ledger = reverse("sparkads:ledger", args=slug)
    soon = f"{ledger}?expiring_within={EXPIRING_WITHIN.days}"

    active_campaigns = Campaign.objects.filter(brand=brand, status=Campaign.Status.ACTIVE).count()
    posts = CampaignPost.objects.filter(campaign__brand=brand, posted_at__gt=now - RECENT).count()
    # A snapshot's date is the report's day; the last 7 days are today and the 6 before it.
    views = PostSnapshot.objects.filter(campaign__brand=brand, date__gt=(now - RECENT).date()).aggregate(
        organic=Sum("day_views_organic"), paid=Sum("day_views_paid")
    )
    Status = SparkAuthorization.Status
    codes = SparkAuthorization.objects.filter(brand=brand)
    ending = codes.ending_within(EXPIRING_WITHIN)
    spark = codes.aggregate(
        active=Count("pk", filter=Q(status=Status.ACTIVE)),
        expiring=Count("pk", filter=Q(pk__in=ending.values("pk"))),
        waiting=Count("pk", filter=Q(status=Status.REQUESTED)),
    )
    at_risk = spend_at_risk_total(ending)
    joining_rows = Collaboration.objects.filter(
        campaign__brand=brand, tiktok_account__onboarding__state__in=MarketplaceOnboarding.POLLED_STATES
    )
    joining = joining_rows.aggregate(
        creators=Count("tiktok_account", distinct=True), campaigns=Count("campaign", distinct=True), one=Min("campaign")
    )
    # One campaign's creators page lists them all; spread over several, the campaigns page leads to each.
    joining_url = campaigns
    if joining["campaigns"] == 1:
        joining_url = reverse("creators:campaign_creators", args=[brand.slug, joining["one"]])

    figures = [
        Figure("Active campaigns", f"{active_campaigns:,}", campaigns, "campaigns"),
        Figure("Posts in the last 7 days", f"{posts:,}", insights, "posts"),
        Figure("Organic views, last 7 days", f"{views['organic'] or 0:,}", insights, "organic-views"),
        Figure("Paid views, last 7 days", f"{views['paid'] or 0:,}", insights, "paid-views"),
        Figure("Active Spark codes", f"{spark['active']:,}", f"{ledger}?status={Status.ACTIVE}", "codes-active"),
        Figure(
            f"Spark codes ending within {EXPIRING_WITHIN.days} days", f"{spark['expiring']:,}", soon, "codes-ending"
        ),
        Figure(
            "Spark requests waiting on creators",
            f"{spark['waiting']:,}",
            f"{ledger}?status={Status.REQUESTED}",
            "codes-waiting",
        ),
        Figure("Creators joining the Creator Marketplace", f"{joining['creators']:,}", joining_url, "joining"),
    ]
    risk_label = f"Spark spend at risk, codes ending within {EXPIRING_WITHIN.days} days"
    for money in at_risk:
        figures.append(Figure(risk_label, str(money), soon, "at-risk"))
    if not at_risk:
        figures.append(Figure(risk_label, "None", soon, "at-risk"))
    return figures


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

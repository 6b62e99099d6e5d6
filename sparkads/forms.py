from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from integrations.models import Brand, BusinessCenterGrant, Campaign, CampaignPost

from .ads import flows as spark_ads
from .models import (
    AUTHORIZATION_DAYS,
    AuditEvent,
    SparkAdReference,
    SparkAuthorization,
    SparkAuthorizationQuerySet,
    UsageTerms,
)

DAY_CHOICES = [(d, f"{d} days") for d in AUTHORIZATION_DAYS]
SORT_AT_RISK = "at_risk"


class TermsForm(forms.Form):
    """The usage-rights terms of a request: its duration, and a fee in a currency if any."""

    days = forms.TypedChoiceField(choices=DAY_CHOICES, coerce=int, initial=30, label="Duration")
    fee = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2, label="Fee (optional)"
    )
    currency = forms.RegexField(
        regex=r"^[A-Za-z]{3}$",
        required=False,
        max_length=3,
        label="Currency",
        error_messages={"invalid": "Use a three-letter currency code, e.g. USD or EUR."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("fee") and not data.get("currency"):
            self.add_error("currency", "Say which currency the fee is in, e.g. USD or EUR.")
        return data

    def terms(self) -> UsageTerms:
        return UsageTerms(self.cleaned_data.get("fee") or None, (self.cleaned_data.get("currency") or "").upper())


class RequestPermissionForm(TermsForm):
    post = forms.IntegerField(widget=forms.HiddenInput)


class BulkRequestForm(TermsForm):
    campaign = forms.IntegerField(widget=forms.HiddenInput)
    # Empty: every linked post of the campaign.
    posts = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())

    def __init__(self, *args: Any, post_choices: Iterable[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedMultipleChoiceField, self.fields["posts"]).choices = post_choices


class ReleaseSettingForm(forms.Form):
    release_after_payment = forms.BooleanField(required=False)


class ExtendForm(TermsForm):
    """An extension: requested codes ask TikTok for the days; a code the creator made here is
    proposed to the creator with its fee."""


class AutoRenewalForm(TermsForm):
    """The creator's standing consent: extend by these days for this fee, up to a total."""

    max_total_days = forms.IntegerField(min_value=7, max_value=3650, label="Up to a total of (days)", initial=365)


class PasteCodeForm(forms.Form):
    code = forms.CharField(max_length=200, label="Authorization code", strip=True)
    # The id of a post; the view looks it up among the posts the user may use.
    post = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)


class LinkMemberForm(forms.Form):
    """Link a Business Center member to one of the brand's users, or to nobody."""

    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(pk__in=brand.memberships.values("user_id"))
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = users


class LinkRequestForm(forms.Form):
    ad_account = forms.IntegerField()
    username = forms.CharField(max_length=100, label="TikTok username")


class QrRequestForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        choices=BusinessCenterGrant.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[BusinessCenterGrant.Scope.PULL, BusinessCenterGrant.Scope.PUSH],
        error_messages={"required": "Pick at least one: existing posts, or publishing ad videos as posts."},
    )


class AssignForm(forms.Form):
    asset = forms.CharField(help_text="TT_ACCOUNT:<id> or ADVERTISER:<id>")
    members = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)
    roles = forms.MultipleChoiceField(
        choices=BusinessCenterGrant.TikTokAccountRole.choices + BusinessCenterGrant.AdvertiserRole.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, member_choices: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["members"]).choices = member_choices

    def asset_parts(self) -> tuple[str, str]:
        asset_type, _, asset_id = self.cleaned_data["asset"].partition(":")
        return asset_type, asset_id


class PromoteForm(forms.Form):
    grant = forms.IntegerField()
    ad_account = forms.IntegerField()
    mode = forms.ChoiceField(choices=SparkAdReference.Mode.choices)
    item_id = forms.CharField(required=False, max_length=64)
    video = forms.FileField(required=False)


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "All events"), *AuditEvent.Kind.choices], required=False)
    actor = forms.CharField(required=False, max_length=200, label="Who (email)")
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")
    q = forms.CharField(required=False, max_length=200, label="Search")


def _handle(value: str) -> str:
    return value.strip().lstrip("@")


class LedgerFilterForm(forms.Form):
    """The ledger's filters. Every field is optional: an unbound or empty form keeps every row."""

    status = forms.ChoiceField(choices=[("", "Every status"), *SparkAuthorization.Status.choices], required=False)
    creator = forms.CharField(required=False, max_length=100, label="Creator")
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False, empty_label="Every campaign")
    expiring_within = forms.TypedChoiceField(
        choices=[("", "Any end"), *((d, f"Ends within {d} days") for d in (7, 14, 30, 45))],
        coerce=int,
        empty_value=None,
        required=False,
        label="Ends",
    )

    at_risk = forms.BooleanField(required=False, label="Spend at risk only")
    sort = forms.ChoiceField(
        choices=[("", "Newest first"), (SORT_AT_RISK, "Most spend at risk first")], required=False, label="Order"
    )

    def __init__(self, *args: Any, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = brand.campaigns.order_by("-created_at")

    def apply(self, rows: SparkAuthorizationQuerySet) -> SparkAuthorizationQuerySet:
        """The rows the filters keep, in the order asked for. The renewal queue, codes ending
        within some days, comes with the most spend at risk first."""
        if not self.is_valid():
            return rows
        data = self.cleaned_data
        if data["status"]:
            rows = rows.filter(status=data["status"])
        if handle := _handle(data["creator"]):
            rows = rows.filter(Q(tiktok_account__handle__icontains=handle) | Q(tiktok_name__icontains=handle))
        if data["campaign"]:
            rows = rows.filter(post__campaign=data["campaign"])
        if data["expiring_within"]:
            rows = rows.ending_within(timedelta(days=data["expiring_within"]))
        by_risk = data["sort"] == SORT_AT_RISK or data["expiring_within"]
        if data["at_risk"] or by_risk:
            rows = spark_ads.with_at_risk_rank(rows)
        if data["at_risk"]:
            rows = rows.filter(at_risk_rank__gt=0)
        if by_risk:
            rows = rows.order_by("-at_risk_rank", "auth_end", "-pk")
        return rows


def list_campaigns_once(*campaign_fields: forms.BoundField) -> None:
    """The brand's campaigns as the options of each of these fields (one page's forms), read in
    one query: each field would otherwise read them again, through a server-side cursor."""
    fields = [cast(forms.ModelChoiceField, bound.field) for bound in campaign_fields]
    campaigns = [(c.pk, str(c)) for c in fields[0].queryset or ()]
    for field in fields:
        field.choices = [("", field.empty_label), *campaigns]


class CampaignPostsForm(forms.Form):
    """Which campaign's linked posts the Spark Ads page offers for a request, and whose. Its
    fields are prefixed so they sit in one query string beside the ledger's filters."""

    prefix = "posts"
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False, empty_label="Pick a campaign")
    creator = forms.CharField(required=False, max_length=100, label="Creator")

    def __init__(self, data: Mapping[str, Any], *, brand: Brand) -> None:
        chosen = any(key.startswith(f"{self.prefix}-") for key in data)
        super().__init__(data if chosen else None)
        self.brand = brand
        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = brand.campaigns.order_by("-created_at")

    def chosen_campaign(self) -> Campaign | None:
        """The chosen campaign; before any choice, the newest one with linked posts."""
        if self.is_bound:
            return self.cleaned_data["campaign"] if self.is_valid() else None
        linked = CampaignPost.objects.filter(campaign=OuterRef("pk"), link_status=CampaignPost.LinkStatus.APPROVE)
        return self.brand.campaigns.filter(Exists(linked)).order_by("-created_at").first()

    def posts(self, campaign: Campaign) -> QuerySet[CampaignPost]:
        """The campaign's linked posts, each with the requests TikTok still allows for it
        (`remaining`, None before the first) read in the same query."""
        remaining = (
            SparkAuthorization.objects.filter(post=OuterRef("pk"), num_remaining_request__isnull=False)
            .order_by("-requested_at")
            .values("num_remaining_request")[:1]
        )
        posts = (
            campaign.posts.filter(link_status=CampaignPost.LinkStatus.APPROVE)
            .select_related("tiktok_account")
            .annotate(remaining=Subquery(remaining))
            .order_by("pk")
        )
        if self.is_bound and self.is_valid() and (handle := _handle(self.cleaned_data["creator"])):
            posts = posts.filter(tiktok_account__handle__icontains=handle)
        return posts

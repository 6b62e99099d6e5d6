from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model

from integrations.models import Brand, BusinessCenterGrant

from .models import AUTHORIZATION_DAYS, AuditEvent, SparkAdReference, UsageTerms

DAY_CHOICES = [(d, f"{d} days") for d in AUTHORIZATION_DAYS]


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

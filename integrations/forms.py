from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from .models import Anchor, Brand, BrandInvitation, BrandMembership, BrandProfile, Campaign
from .sourcing.flows import SORT_FIELDS

SPARK_DAYS = [(7, "7 days"), (30, "30 days"), (60, "60 days"), (365, "365 days")]


class CreatorSearchForm(forms.Form):
    """Filters of tto/tcm/creator/discover/; every field optional."""

    keyword = forms.CharField(required=False, max_length=100, label="Keyword")
    country = forms.RegexField(
        required=False,
        regex=r"^[A-Za-z]{2}$",
        max_length=2,
        label="Country",
        error_messages={"invalid": "Use a two-letter country code, e.g. US."},
        widget=forms.TextInput(attrs={"placeholder": "US", "size": 3}),
    )
    min_followers = forms.IntegerField(required=False, min_value=0, label="Followers from")
    max_followers = forms.IntegerField(required=False, min_value=0, label="Followers up to")
    min_views = forms.IntegerField(required=False, min_value=0, label="Median views from")
    min_engagement = forms.DecimalField(
        required=False, min_value=0, max_value=100, decimal_places=2, label="Engagement rate from (%)"
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            (
                k,
                {
                    "followers": "Followers",
                    "views": "Median views",
                    "engagement": "Engagement rate",
                    "relevance": "Relevance",
                }[k],
            )
            for k in SORT_FIELDS
        ],
        label="Sort by",
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        low, high = cleaned.get("min_followers"), cleaned.get("max_followers")
        if low is not None and high is not None and low > high:
            self.add_error("max_followers", "Must be at least the lower bound.")
        return cleaned


class RequirementsForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["require_tiktok_authorized", "require_sponsored_video_tab", "require_original_or_promo_sound"]
        labels = {
            "require_tiktok_authorized": "Creators must authorize TikTok on this platform",
            "require_sponsored_video_tab": "Post through TikTok's “Sponsored Video” tab with this campaign selected",
            "require_original_or_promo_sound": "Use Original Sound or a Promo+ sound only",
        }


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200, label="Campaign name")
    brand_name = forms.CharField(max_length=200, required=False, label="Brand name shown to creators")
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    spark_ads_default_days = forms.TypedChoiceField(
        choices=SPARK_DAYS, coerce=int, initial=30, label="Spark Ads authorization asked of creators"
    )
    require_tiktok_authorized = forms.BooleanField(
        required=False, initial=True, label=RequirementsForm.Meta.labels["require_tiktok_authorized"]
    )
    require_sponsored_video_tab = forms.BooleanField(
        required=False, initial=True, label=RequirementsForm.Meta.labels["require_sponsored_video_tab"]
    )
    require_original_or_promo_sound = forms.BooleanField(
        required=False, initial=True, label=RequirementsForm.Meta.labels["require_original_or_promo_sound"]
    )
    brand_profile_id = forms.ChoiceField(required=False, label="Brand profile")
    anchor_id = forms.ChoiceField(required=False, label="Anchor (link shown on creators' posts)")
    dm_business_account_handle = forms.RegexField(
        required=False,
        max_length=100,
        regex=r"^@?[A-Za-z0-9._]{1,100}$",
        label="Brand's TikTok account (business_account_handle)",
        help_text=(
            "Sent to TikTok One as the campaign's business account. TikTok does not document what "
            "creators may do with it; whether they may message it is set on TikTok One, not here."
        ),
        error_messages={"invalid": "A TikTok handle: letters, digits, dots and underscores."},
    )

    def __init__(self, *args: Any, brand: Brand | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        profiles = BrandProfile.objects.filter(brand=brand)
        anchors = [a for a in Anchor.objects.filter(brand=brand) if a.usable]
        cast(forms.ChoiceField, self.fields["brand_profile_id"]).choices = [("", "None")] + [
            (p.brand_profile_id, p.brand_name) for p in profiles
        ]
        cast(forms.ChoiceField, self.fields["anchor_id"]).choices = [("", "None")] + [
            (a.anchor_id, f"{a.anchor_name} ({a.status_label})") for a in anchors
        ]

    def clean_dm_business_account_handle(self) -> str:
        return (self.cleaned_data.get("dm_business_account_handle") or "").lstrip("@")


class AddToCampaignForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), empty_label=None)

    def __init__(self, *args: Any, brand: Brand | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = Campaign.objects.filter(
            brand=brand, status=Campaign.Status.ACTIVE
        )


class BrandProfileForm(forms.Form):
    """tto/tcm/brand/profile/create/: TikTok keeps the name once set (≤ 60 characters)."""

    brand_name = forms.CharField(max_length=60, label="Brand name")
    brand_website = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Website (https)")
    tiktok_account_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="TikTok account URL",
        help_text="https://www.tiktok.com/@…",
    )

    def clean_brand_website(self) -> str:
        url = self.cleaned_data.get("brand_website") or ""
        if url and not url.startswith("https://"):
            raise forms.ValidationError("TikTok takes an https:// address.")
        return url

    def clean_tiktok_account_url(self) -> str:
        url = self.cleaned_data.get("tiktok_account_url") or ""
        if url and not url.startswith("https://www.tiktok.com/@"):
            raise forms.ValidationError("Use the account's address, https://www.tiktok.com/@handle.")
        return url


class AnchorForm(forms.Form):
    """tto/tcm/anchor/create/ for a link anchor (TikTok's WEB_ANCHOR)."""

    anchor_sub_type = forms.ChoiceField(choices=Anchor.SUB_TYPES, label="Kind")
    anchor_name = forms.CharField(max_length=100, label="Name (for you)")
    anchor_title = forms.CharField(max_length=100, label="Title shown on posts")
    landing_page_url = forms.URLField(max_length=1000, assume_scheme="https", label="Landing page")


class BrandForm(forms.Form):
    """A new brand's name, and its address. A name the person already has a brand by, or whose
    address another brand holds, is not used silently: the page says so and shows the address
    the brand would get, which the person confirms or changes (`needs_confirming`)."""

    name = forms.CharField(max_length=200, label="Brand name", strip=True)
    slug = forms.SlugField(max_length=70, label="Address", required=False)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.same_name: Brand | None = None
        self.address = ""
        self.needs_confirming = False

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"].lower()
        if slug and Brand.objects.filter(slug=slug).exists():
            raise ValidationError(f"The address /brands/{slug}/ is taken: choose another.")
        return slug

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = data.get("name")
        if not name or self.errors:
            return data
        self.same_name = Brand.objects.filter(memberships__user=self.user, name__iexact=name).order_by("pk").first()
        self.address = data.get("slug") or Brand.free_slug(name)
        self.needs_confirming = not data.get("confirmed") and (
            self.same_name is not None or self.address != Brand.slug_for(name)
        )
        return data


class InvitationForm(forms.Form):
    # As long as the invitation's column holds (254), not the form default of 320.
    email = forms.EmailField(label="Email", max_length=BrandInvitation._meta.get_field("email").max_length)
    role = forms.ChoiceField(label="Role", choices=[])

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(BrandMembership.Role.choices)
        cast(forms.ChoiceField, self.fields["role"]).choices = [(r, labels[r]) for r in roles]
        self.fields["role"].initial = BrandMembership.Role.MEMBER

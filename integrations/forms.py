from __future__ import annotations

from typing import cast

from django import forms

from .flows_sourcing import SORT_FIELDS
from .models import Campaign

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

    def clean(self):
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


class AddToCampaignForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), empty_label=None)

    def __init__(self, *args, brand=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = Campaign.objects.filter(
            brand=brand, status=Campaign.Status.ACTIVE
        )

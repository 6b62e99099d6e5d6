"""What a brand made at TikTok One for its campaigns: brand profiles and anchors.

Rows are keyed by TikTok's id and belong to the brand that made them (a platform account may
serve several brands); the campaign pages refresh them from tto/tcm/*/get/.
"""

from __future__ import annotations

from django.db import models

from .brands import Brand, BrandScopedQuerySet
from .tiktok import TikTokOneAccount


class BrandProfile(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="tto_brand_profiles")
    tiktok_one_account = models.ForeignKey(TikTokOneAccount, on_delete=models.CASCADE, related_name="brand_profiles")
    brand_profile_id = models.CharField(max_length=64, unique=True)
    brand_name = models.CharField(max_length=100)
    brand_website = models.URLField(max_length=500, blank=True)
    tiktok_account_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        ordering = ["brand_name", "brand_profile_id"]

    def __str__(self) -> str:
        return self.brand_name


class Anchor(models.Model):
    # TikTok's review of an anchor [enum TTOAnchorStatus]; any other value is kept and shown.
    REVIEW_LABELS = {
        "DRAFT": "Draft",
        "CREATED": "Created",
        "IN_REVIEW": "In review",
        "APPROVED": "Approved",
        "REJECTED_BY_AUDIT": "Rejected in review",
    }
    SUB_TYPES = [("DESTINATION", "Destination"), ("ECOMMERCE", "E-commerce"), ("ENTERTAINMENT", "Entertainment")]

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="tto_anchors")
    tiktok_one_account = models.ForeignKey(TikTokOneAccount, on_delete=models.CASCADE, related_name="anchors")
    anchor_id = models.CharField(max_length=64, unique=True)
    anchor_sub_type = models.CharField(max_length=20)
    anchor_name = models.CharField(max_length=100)
    anchor_title = models.CharField(max_length=100)
    landing_page_url = models.URLField(max_length=1000, blank=True)
    status = models.CharField(max_length=30, blank=True, help_text="TikTok's review status, as TikTok says it")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.anchor_name

    @property
    def status_label(self) -> str:
        return self.REVIEW_LABELS.get(self.status, self.status or "Unknown")

    @property
    def usable(self) -> bool:
        """A campaign may point at it: TikTok has not refused it."""
        return self.status != "REJECTED_BY_AUDIT"

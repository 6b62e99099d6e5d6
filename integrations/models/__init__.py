"""The shared model of TikTok as the platform sees it.

`creators` and `sparkads` import these models and add their own tables; nothing else
defines them, and nothing here imports those apps.
"""

from .brands import (
    Brand,
    BrandInvitation,
    BrandMembership,
    BrandNotice,
    BrandQuerySet,
    BrandScopedQuerySet,
    InvitationMail,
)
from .campaigns import Campaign, CampaignPost, Collaboration
from .insights import CampaignDayTotal, PostInsight, PostMetrics, PostSnapshot, ReportSubscription
from .jobs import BackgroundJob
from .oauth import SpentRetryKey
from .outbox import SentMail
from .pending import PendingWrite
from .service_status import ApiIncident, ApiStatusSubscription
from .tiktok import (
    AdAccount,
    BusinessCenter,
    BusinessCenterGrant,
    BusinessCenterMember,
    Credential,
    TikTokAccount,
    TikTokOneAccount,
)
from .tto_assets import Anchor, BrandProfile
from .webhooks import WebhookDelivery

__all__ = [
    "ApiIncident",
    "ApiStatusSubscription",
    "AdAccount",
    "Anchor",
    "BackgroundJob",
    "SentMail",
    "Brand",
    "BrandInvitation",
    "BrandMembership",
    "BrandNotice",
    "BrandProfile",
    "BrandQuerySet",
    "BrandScopedQuerySet",
    "BusinessCenter",
    "BusinessCenterGrant",
    "BusinessCenterMember",
    "Campaign",
    "CampaignDayTotal",
    "CampaignPost",
    "Collaboration",
    "Credential",
    "InvitationMail",
    "PendingWrite",
    "PostInsight",
    "PostMetrics",
    "PostSnapshot",
    "ReportSubscription",
    "SpentRetryKey",
    "TikTokAccount",
    "TikTokOneAccount",
    "WebhookDelivery",
]

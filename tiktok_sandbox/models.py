"""The sandbox's world: TikTok's side of every flow the platform touches.

Ids are strings because TikTok's are (19-digit numerics that overflow JavaScript numbers).
Time-dependent states (invite delivery, processing, content review, metric growth) are stored
as timestamps on the sandbox clock and derived on read, so advancing the clock needs no jobs.
"""

from __future__ import annotations

from django.db import models


class BusinessUser(models.Model):
    """A TikTok for Business user: logs in at /portal/auth and owns TikTok One accounts."""

    key = models.SlugField(unique=True)
    user_id = models.CharField(max_length=32, unique=True)
    display_name = models.CharField(max_length=100)
    email = models.EmailField()


class TTOAccount(models.Model):
    tto_tcm_account_id = models.CharField(max_length=32, unique=True)
    owner = models.ForeignKey(BusinessUser, on_delete=models.CASCADE, related_name="tto_accounts")
    account_name = models.CharField(max_length=100)
    timezone = models.CharField(max_length=64, default="Etc/GMT")
    country = models.CharField(max_length=2, default="US")
    business_verification_status = models.CharField(max_length=20)


class BusinessCenter(models.Model):
    bc_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    company = models.CharField(max_length=100)
    currency = models.CharField(max_length=3, default="USD")
    timezone = models.CharField(max_length=64, default="Etc/GMT")
    status = models.CharField(max_length=20, default="ENABLE")
    type = models.CharField(max_length=20, default="NORMAL")
    verification_status = models.CharField(max_length=20, default="VERIFIED")


class BCMember(models.Model):
    bc = models.ForeignKey(BusinessCenter, on_delete=models.CASCADE, related_name="members")
    business_user = models.ForeignKey(BusinessUser, null=True, blank=True, on_delete=models.CASCADE)
    user_id = models.CharField(max_length=32)
    user_name = models.CharField(max_length=100)
    user_email = models.EmailField()
    user_role = models.CharField(max_length=20)  # ADMIN / STANDARD
    relation_status = models.CharField(max_length=20, default="BOUND")
    finance_role = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bc", "user_id"], name="sbx_bc_member_unique")]


class Advertiser(models.Model):
    advertiser_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=40, default="STATUS_ENABLE")
    currency = models.CharField(max_length=3, default="USD")
    timezone = models.CharField(max_length=64, default="Etc/GMT")
    company = models.CharField(max_length=100)
    country = models.CharField(max_length=2, default="US")
    owner_bc = models.ForeignKey(BusinessCenter, null=True, blank=True, on_delete=models.SET_NULL)
    balance = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    create_time = models.DateTimeField()
    # Business users whose portal consent covers this advertiser.
    authorized_users = models.ManyToManyField(BusinessUser, related_name="advertisers", blank=True)


class TikTokUser(models.Model):
    ACCOUNT_TYPES = [("PERSONAL", "Personal"), ("CREATOR", "Creator"), ("BUSINESS", "Business")]

    creator_id = models.CharField(max_length=32, unique=True)
    open_id = models.CharField(max_length=64, unique=True)
    union_id = models.CharField(max_length=64)
    handle = models.CharField(max_length=64, unique=True)
    display_name = models.CharField(max_length=100)
    bio = models.CharField(max_length=200, blank=True)
    is_verified = models.BooleanField(default=False)
    is_persona = models.BooleanField(default=False)
    follower_count = models.IntegerField()
    following_count = models.IntegerField(default=100)
    likes_count = models.IntegerField(default=0)
    account_type = models.CharField(max_length=10, choices=ACCOUNT_TYPES)
    age_verified = models.BooleanField(default=True)
    country = models.CharField(max_length=2, default="US")
    language = models.CharField(max_length=8, default="en")
    # Base Marketplace state; INVITED/IN after an invite are derived from MarketplaceInvite.
    marketplace_status = models.CharField(max_length=10, default="NOT_IN")
    invite_delay_minutes = models.IntegerField(default=180)
    # Joined in the app (TikTok Studio > Monetization > Creator Marketplace > Join): IN once
    # TikTok has processed it, with or without an invite.
    joined_in_app_at = models.DateTimeField(null=True, blank=True)
    engagement_rate = models.FloatField(default=0.05)
    median_views = models.IntegerField(default=0)
    creator_price = models.FloatField(default=0)
    audience = models.JSONField(default=dict)
    ad_authorization_on = models.BooleanField(default=False)


class Video(models.Model):
    video_id = models.CharField(max_length=32, unique=True)
    owner = models.ForeignKey(TikTokUser, on_delete=models.CASCADE, related_name="videos")
    title = models.CharField(max_length=150)
    description = models.CharField(max_length=300, blank=True)
    duration = models.IntegerField(default=30)
    create_time = models.DateTimeField()
    # Growth parameters: cumulative views = peak * h / (h + 36), h = age in hours.
    peak_views = models.IntegerField()
    like_ratio = models.FloatField(default=0.08)
    comment_ratio = models.FloatField(default=0.004)
    share_ratio = models.FloatField(default=0.003)
    favorite_ratio = models.FloatField(default=0.006)
    campaign = models.ForeignKey(
        "Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="posted_videos"
    )
    review_until = models.DateTimeField(null=True, blank=True)
    published_notified = models.BooleanField(default=False)
    # Spark Ads: paid metrics start growing when an advertiser first uses a code for this post.
    boosted_at = models.DateTimeField(null=True, blank=True)
    paid_peak_views = models.IntegerField(default=0)
    # The post's music as the control API set it; empty: a Commercial Music Library track
    # chosen from the video id (tiktok_sandbox/music.py).
    music = models.JSONField(default=dict, blank=True)


class OAuthCode(models.Model):
    """Single-use authorization codes for Login Kit, tt_user and the advertiser portal."""

    KINDS = [("login_kit", "Login Kit"), ("tt_user", "TikTok account holder"), ("portal", "Advertiser portal")]

    code = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=KINDS)
    client_key = models.CharField(max_length=64)
    redirect_uri = models.CharField(max_length=600)
    scope = models.CharField(max_length=300, blank=True)
    tiktok_user = models.ForeignKey(TikTokUser, null=True, blank=True, on_delete=models.CASCADE)
    business_user = models.ForeignKey(BusinessUser, null=True, blank=True, on_delete=models.CASCADE)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class OAuthToken(models.Model):
    """One access token (and its refresh token, if the kind has one)."""

    KINDS = [("login_kit", "Login Kit"), ("tt_user", "TikTok account holder"), ("advertiser", "Advertiser")]

    kind = models.CharField(max_length=10, choices=KINDS)
    client_key = models.CharField(max_length=64)
    access_token = models.CharField(max_length=80, unique=True)
    refresh_token = models.CharField(max_length=80, unique=True, null=True, blank=True)
    scope = models.CharField(max_length=300, blank=True)
    tiktok_user = models.ForeignKey(TikTokUser, null=True, blank=True, on_delete=models.CASCADE)
    business_user = models.ForeignKey(BusinessUser, null=True, blank=True, on_delete=models.CASCADE)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    # Set when the refresh token was exchanged: rotation makes it unusable afterwards.
    refresh_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()


class MarketplaceInvite(models.Model):
    creator = models.ForeignKey(TikTokUser, on_delete=models.CASCADE, related_name="invites")
    tto_account = models.ForeignKey(TTOAccount, null=True, blank=True, on_delete=models.SET_NULL)
    requested_at = models.DateTimeField()
    deliver_at = models.DateTimeField(null=True, blank=True)  # null: never arrives
    accepted_at = models.DateTimeField(null=True, blank=True)
    in_at = models.DateTimeField(null=True, blank=True)


class Campaign(models.Model):
    campaign_id = models.CharField(max_length=32, unique=True)
    tto_account = models.ForeignKey(TTOAccount, on_delete=models.CASCADE, related_name="campaigns")
    campaign_type = models.CharField(max_length=20, default="CAMPAIGN")
    brand_name = models.CharField(max_length=100)
    campaign_name = models.CharField(max_length=100)
    campaign_description = models.CharField(max_length=500, blank=True)
    advertiser_ids = models.JSONField(default=list)
    spark_days = models.IntegerField(default=30)
    handle_names = models.JSONField(default=list)
    invite_slug = models.CharField(max_length=64, unique=True)
    create_time = models.DateTimeField()
    update_time = models.DateTimeField()
    country_codes = models.JSONField(default=list)
    dm_info = models.JSONField(null=True, blank=True)  # {business_account_handle, dm_allowed}
    brand_profile_id = models.CharField(max_length=32, blank=True)
    anchor_id = models.CharField(max_length=32, blank=True)


class BrandProfile(models.Model):
    brand_profile_id = models.CharField(max_length=32, unique=True)
    tto_account = models.ForeignKey(TTOAccount, on_delete=models.CASCADE, related_name="brand_profiles")
    brand_name = models.CharField(max_length=100)
    brand_industry_id = models.CharField(max_length=32, blank=True)
    brand_website = models.CharField(max_length=500, blank=True)
    logo_url = models.CharField(max_length=1000, blank=True)
    tiktok_account_url = models.CharField(max_length=500, blank=True)


class Anchor(models.Model):
    """A campaign anchor; its review starts when it is created and ends on the sandbox clock."""

    anchor_id = models.CharField(max_length=32, unique=True)
    tto_account = models.ForeignKey(TTOAccount, on_delete=models.CASCADE, related_name="anchors")
    anchor_type = models.CharField(max_length=20)
    anchor_sub_type = models.CharField(max_length=20)
    anchor_name = models.CharField(max_length=100)
    anchor_title = models.CharField(max_length=100)
    country_code = models.CharField(max_length=2, blank=True)
    call_to_action = models.JSONField(default=dict)
    thumbnail_url = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField()


class CampaignJoin(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="joins")
    creator = models.ForeignKey(TikTokUser, on_delete=models.CASCADE)
    joined_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "creator"], name="sbx_join_unique")]


class VideoLink(models.Model):
    """A (campaign, video) link and its latest link request; status is TikTok's enum."""

    STATUSES = [("IN_REVIEW", "In review"), ("APPROVE", "Approved"), ("REJECTED", "Rejected"), ("REVOKE", "Revoked")]

    link_request_id = models.CharField(max_length=32, unique=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="links")
    status = models.CharField(max_length=10, choices=STATUSES)
    number_of_requests = models.IntegerField(default=1)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "video"], name="sbx_link_unique")]


class AdAuthCode(models.Model):
    """A Spark Ads authorization code, from Ad settings or an approved Spark request."""

    code = models.CharField(max_length=120, unique=True)
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="auth_codes")
    days = models.IntegerField()
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)


class SparkRequest(models.Model):
    """`tcm/tt_video/apply/`: a brand asks a creator to authorize a campaign video."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="spark_requests")
    tto_account = models.ForeignKey(TTOAccount, on_delete=models.CASCADE)
    days = models.IntegerField()
    action = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=10, default="WAITING")  # WAITING / REJECTED / ACCEPTED
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    auth_code = models.ForeignKey(AdAuthCode, null=True, blank=True, on_delete=models.SET_NULL)


class VideoAuthorization(models.Model):
    """An auth code applied to an ad account (`tt_video/authorize/`): an AUTH_CODE identity."""

    advertiser = models.ForeignKey(Advertiser, on_delete=models.CASCADE)
    auth_code = models.ForeignKey(AdAuthCode, on_delete=models.CASCADE)
    authorized_at = models.DateTimeField()
    unbound_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["advertiser", "auth_code"], name="sbx_video_auth_unique")]


class BCAsset(models.Model):
    """An asset of a BC: an ADVERTISER, or a TT_ACCOUNT authorized by QR (pull/push scopes)."""

    bc = models.ForeignKey(BusinessCenter, on_delete=models.CASCADE, related_name="assets")
    asset_type = models.CharField(max_length=20)
    asset_id = models.CharField(max_length=32)
    asset_name = models.CharField(max_length=100)
    relation_type = models.CharField(max_length=20, default="OWNER_BC")
    relation_status = models.CharField(max_length=20, default="BOUND")
    advertiser = models.ForeignKey(Advertiser, null=True, blank=True, on_delete=models.CASCADE)
    tiktok_user = models.ForeignKey(TikTokUser, null=True, blank=True, on_delete=models.CASCADE)
    can_pull = models.BooleanField(default=False)
    can_push = models.BooleanField(default=False)
    authorized_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bc", "asset_type", "asset_id"], name="sbx_bc_asset_unique")]


class BCAssetAssignment(models.Model):
    asset = models.ForeignKey(BCAsset, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey(BCMember, on_delete=models.CASCADE, related_name="assignments")
    advertiser_role = models.CharField(max_length=20, blank=True)
    tt_account_roles = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["asset", "member"], name="sbx_assignment_unique")]


class BCQrLink(models.Model):
    """The account-agnostic link behind `bc_auth_qr_code`."""

    token = models.CharField(max_length=64, unique=True)
    bc = models.ForeignKey(BusinessCenter, on_delete=models.CASCADE)
    created_at = models.DateTimeField()


class AdsManagerLink(models.Model):
    """Ads Manager asks a TikTok account (by username) to link to an ad account: TT_USER identity."""

    link_request_id = models.CharField(max_length=32, unique=True)
    advertiser = models.ForeignKey(Advertiser, on_delete=models.CASCADE)
    tiktok_user = models.ForeignKey(TikTokUser, on_delete=models.CASCADE)
    status = models.CharField(max_length=10, default="PENDING")  # PENDING/APPROVED/REJECTED/CANCELLED
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)


class Subscription(models.Model):
    subscription_id = models.CharField(max_length=32, unique=True)
    subscribe_entity = models.CharField(max_length=40)
    callback_url = models.CharField(max_length=600)
    tto_account = models.ForeignKey(TTOAccount, null=True, blank=True, on_delete=models.CASCADE)
    token = models.ForeignKey(OAuthToken, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField()
    app_id = models.CharField(max_length=32, blank=True)  # the subscribing app, whose secret signs
    product_filters = models.JSONField(default=list)  # API_SERVICE_STATUS: empty = every API product
    # REPORT_DATA_CHANGE: its ad accounts, its window, and what the last window saw (so an event
    # names only the accounts whose figures changed since). AD and CREATIVE_FATIGUE: one account,
    # and for AD the one ad (TikTok requires ad_id there).
    advertiser_ids = models.JSONField(default=list)
    ad_id = models.CharField(max_length=32, blank=True)
    notify_frequency = models.CharField(max_length=10, blank=True)
    window_started_at = models.DateTimeField(null=True, blank=True)
    last_values = models.JSONField(default=dict)


class Incident(models.Model):
    """An API incident TikTok announces through API_SERVICE_STATUS (started from the control API)."""

    incident_id = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    level = models.CharField(max_length=20, default="MAJOR_DISRUPTION")
    products = models.JSONField(default=list)
    started_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)


class ClockState(models.Model):
    """Singleton: how far the sandbox clock runs ahead of real time."""

    offset_seconds = models.FloatField(default=0)


class FaultRule(models.Model):
    pattern = models.CharField(max_length=200)
    error_40100 = models.FloatField(default=0)
    http_429 = models.FloatField(default=0)
    http_5xx = models.FloatField(default=0)
    status_5xx = models.IntegerField(default=500)
    hang = models.FloatField(default=0)
    hang_seconds = models.FloatField(default=60)
    malformed_json = models.FloatField(default=0)
    latency_ms = models.IntegerField(default=0)
    times = models.IntegerField(null=True, blank=True)  # remaining hits; null = unlimited


class RateLimit(models.Model):
    pattern = models.CharField(max_length=200)
    limit = models.IntegerField()
    window_seconds = models.FloatField()
    per = models.CharField(max_length=10, default="endpoint")  # endpoint / token


class RequestLog(models.Model):
    at = models.FloatField(db_index=True)  # real unix time: rate limits are real time
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300, db_index=True)
    status = models.IntegerField()
    code = models.CharField(max_length=40, blank=True)
    throttled = models.BooleanField(default=False)


class Ad(models.Model):
    """An ad in Ads Manager made from a post (a Spark ad): through a code applied to the ad account
    (AUTH_CODE), a linked TikTok account (TT_USER) or a Business Center's authorized account
    (BC_AUTH_TT). Its spend per day follows from ``seed`` and ``daily_budget`` (tiktok_sandbox/ads.py)."""

    REVIEWS = [("AUDIT", "In review"), ("APPROVED", "Approved"), ("REJECTED", "Rejected")]

    ad_id = models.CharField(max_length=32, unique=True)
    advertiser = models.ForeignKey(Advertiser, on_delete=models.CASCADE, related_name="ads")
    campaign_id = models.CharField(max_length=32)
    campaign_name = models.CharField(max_length=100)
    adgroup_id = models.CharField(max_length=32)
    adgroup_name = models.CharField(max_length=100)
    ad_name = models.CharField(max_length=100)
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="ads")
    identity_type = models.CharField(max_length=20)
    identity_id = models.CharField(max_length=32)
    identity_authorized_bc_id = models.CharField(max_length=32, blank=True)
    # AUTH_CODE ads run on the applied code: when it ends, is deleted or unbound, the ad stops.
    authorization = models.ForeignKey(VideoAuthorization, null=True, blank=True, on_delete=models.CASCADE)
    seed = models.IntegerField()
    daily_budget = models.DecimalField(max_digits=12, decimal_places=2)
    review = models.CharField(max_length=10, choices=REVIEWS, default="AUDIT")
    create_time = models.DateTimeField()
    modify_time = models.DateTimeField()
    delivering_since = models.DateTimeField(null=True, blank=True)  # approved at
    paused_at = models.DateTimeField(null=True, blank=True)
    # Creative fatigue detected (control page or API); the ad keeps delivering (fatigue is a warning).
    fatigued_at = models.DateTimeField(null=True, blank=True)
    # The ad group's schedule (one ad group per ad here): SCHEDULE_START_END ends at this
    # moment (UTC); None is SCHEDULE_FROM_NOW, delivering until stopped.
    schedule_end_time = models.DateTimeField(null=True, blank=True)

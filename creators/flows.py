"""Creator onboarding flows: authorize TikTok, the Marketplace invite, campaigns and posts.

Views and tasks call these; each step talks to TikTok only through integrations.tiktok and
records what happened on the rows, so a retried task or a second poller finds the work done.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations import mail
from integrations.models import Campaign, CampaignPost, Collaboration, Credential, TikTokAccount, TikTokOneAccount
from integrations.tiktok import BusinessClient, TikTokError, tokens

from .models import CreatorProfile, MarketplaceOnboarding

logger = logging.getLogger(__name__)
State = MarketplaceOnboarding.State

SCOPES = ["user.info.basic", "user.info.profile", "user.info.stats", "video.list"]
SESSION_STATE_KEY = "creators_tiktok_oauth_state"
MIN_FOLLOWERS = 10_000
# TikTok: an invite "may take up to 24 hours" to reach Inbox > Monetization; processing after
# acceptance takes "2+ hours".
INVITE_DEADLINE = timedelta(hours=24)
PROCESSING_TIME = timedelta(hours=2)
# Polling backoff: start soon after a change, slow down while nothing happens.
POLL_BASE = timedelta(minutes=15)
POLL_MAX = timedelta(hours=2)
# A claimed row is not claimed again for this long, so a crashed poll is retried later.
CLAIM_LEASE = timedelta(minutes=10)
POST_POLL = timedelta(minutes=10)


class FlowError(Exception):
    """Something the creator should read: what went wrong and what to do."""


# --- Authorize TikTok ---------------------------------------------------------------------


def redirect_uri() -> str:
    # Static: TikTok only accepts the exact registered URI, without a query string.
    return settings.SITE_URL + reverse("creators:callback")


def ensure_profile(user) -> CreatorProfile:
    profile, _ = CreatorProfile.objects.get_or_create(user=user, defaults={"display_name": user.get_full_name()})
    return profile


def start_authorization(request, *, another_account: bool = False) -> str:
    """The TikTok consent URL, with a fresh single-use state bound to this session.

    ``another_account`` asks TikTok to show its consent screen even to a creator already
    signed in there (``disable_auto_auth=1``), so they can switch to another TikTok account."""
    ensure_profile(request.user)
    state = secrets.token_urlsafe(32)
    request.session[SESSION_STATE_KEY] = state
    return BusinessClient.tt_user_authorize_url(state, redirect_uri(), SCOPES, disable_auto_auth=another_account)


def check_state(request, state: str) -> None:
    """Pop the session's state (single use) and require it to match."""
    expected = request.session.pop(SESSION_STATE_KEY, None)
    if not expected or not state or not secrets.compare_digest(expected, state):
        raise FlowError(
            "This TikTok authorization link was already used or did not start here. Click Authorize TikTok again."
        )


def _account_type(value: str) -> str:
    value = (value or "").lower()
    return value if value in TikTokAccount.AccountType.values else ""


def _apply_profile(account: TikTokAccount, profile: Mapping[str, Any]) -> None:
    account.handle = profile.get("handle_name") or profile.get("username") or account.handle
    account.display_name = profile.get("display_name") or account.display_name
    account.avatar_url = profile.get("profile_image") or profile.get("avatar_url") or account.avatar_url
    account.follower_count = profile.get("followers_count", profile.get("follower_count"))
    account.following_count = profile.get("following_count")
    account.likes_count = profile.get("likes_count")
    account.video_count = profile.get("videos_count", profile.get("video_count"))
    account.is_verified = bool(profile.get("is_verified", account.is_verified))
    account.account_type = _account_type(profile.get("account_type", "")) or account.account_type
    account.stats_updated_at = timezone.now()


def complete_authorization(user, code: str) -> TikTokAccount:
    """Exchange the code, read the creator's profile, store account + encrypted credential."""
    client = BusinessClient()
    grant = client.tt_user_oauth2_token(code, redirect_uri())
    creator_id = str(client.tt_user_token_info_get(grant.access_token).get("creator_id") or "")
    profile = BusinessClient(grant.access_token).tto_creator_authorized(creator_id)
    open_id = grant.open_id or f"creator-{creator_id}"
    with transaction.atomic():
        account = TikTokAccount.objects.select_for_update().filter(open_id=open_id).first()
        if account is None:
            handle = profile.get("handle_name") or ""
            account = TikTokAccount.objects.select_for_update().filter(handle=handle).first()
        if account is not None and account.owner_id not in (None, user.pk):
            raise FlowError(
                f"@{account.handle} is already connected to another creator on this platform. "
                "If it is yours, ask that creator to disconnect it, or contact support."
            )
        account = account or TikTokAccount(open_id=open_id)
        account.open_id, account.creator_id, account.owner = open_id, creator_id, user
        _apply_profile(account, profile)
        credential = account.credential or Credential(kind=Credential.Kind.TT_USER)
        credential.user, credential.open_id = user, open_id
        tokens.apply_grant(credential, grant)
        account.credential = credential
        account.save()
        onboarding = restart_onboarding(account)
    transaction.on_commit(lambda: _enqueue_poll(onboarding.pk))
    return account


def restart_onboarding(account: TikTokAccount) -> MarketplaceOnboarding:
    """A fresh authorization puts the account back at the start (unless already IN)."""
    now = timezone.now()
    onboarding, _ = MarketplaceOnboarding.objects.get_or_create(tiktok_account=account)
    if onboarding.state != State.IN_MARKETPLACE:
        onboarding.state = State.AUTHORIZED
        onboarding.ineligible_reasons = []
    onboarding.authorized_at = onboarding.state_changed_at = now
    onboarding.next_poll_at, onboarding.poll_attempts, onboarding.last_error = now, 0, ""
    onboarding.save()
    return onboarding


def _enqueue_poll(onboarding_id: int) -> None:
    from .tasks import poll_onboarding

    poll_onboarding.delay(onboarding_id)


# --- The Marketplace state machine -------------------------------------------------------


def marketplace_account() -> TikTokOneAccount:
    """The platform's internal TikTok One account, which requests invites and reads status."""
    account = TikTokOneAccount.objects.select_related("credential").filter(is_internal=True).first()
    if account is None or account.credential is None:
        raise FlowError("The platform's TikTok One account is not set up yet. Contact support.")
    return account


def _backoff(attempts: int) -> timedelta:
    return min(POLL_BASE * (2 ** min(attempts, 8)), POLL_MAX)


def claim_poll(onboarding_id: int) -> bool:
    """Claim a due row by conditional update: of concurrent pollers exactly one wins."""
    now = timezone.now()
    return bool(
        MarketplaceOnboarding.objects.filter(
            pk=onboarding_id, next_poll_at__lte=now, state__in=MarketplaceOnboarding.POLLED_STATES
        ).update(next_poll_at=now + CLAIM_LEASE)
    )


def transition(onboarding: MarketplaceOnboarding, new: str, notice: str = "", **fields) -> bool:
    """Move from the state we read to `new`, only if nobody else moved it; notify once."""
    if onboarding.state == new:
        return False  # a stale read must not "win" a move that already happened
    now = timezone.now()
    values = {"state": new, "state_changed_at": now, "poll_attempts": 0, "last_error": "", **fields}
    if notice:
        values["notice"] = notice
    won = MarketplaceOnboarding.objects.filter(pk=onboarding.pk, state=onboarding.state).update(**values)
    if not won:
        return False
    for name, value in values.items():
        setattr(onboarding, name, value)
    if notice:
        notify(onboarding.tiktok_account, notice)
    return True


def notify(account: TikTokAccount, text: str) -> None:
    """Email the creator (after commit, so a rolled-back change sends nothing)."""
    user = account.owner
    if user is None or not user.email:
        return
    subject = f"TikTok @{account.handle}: {text[:60]}"
    body = f"{text}\n\nSee your Social Accounts page: {settings.SITE_URL}{reverse('creators:home')}"
    mail.send_later(subject, body, [user.email])


def _reschedule(onboarding: MarketplaceOnboarding, error: str = "") -> None:
    attempts = onboarding.poll_attempts + 1
    MarketplaceOnboarding.objects.filter(pk=onboarding.pk).update(
        next_poll_at=timezone.now() + _backoff(attempts), poll_attempts=attempts, last_error=error[:2000]
    )


def poll(onboarding_id: int) -> str:
    """One look at TikTok for a claimed row; returns the state it ends in."""
    onboarding = MarketplaceOnboarding.objects.select_related("tiktok_account__owner").get(pk=onboarding_id)
    tto = marketplace_account()
    handle = onboarding.tiktok_account.handle
    rows = tokens.call_with_credential(
        tto.credential_id, lambda c: c.tto_tcm_creator_status_get(tto.tto_tcm_account_id, [handle])
    )
    status = next((r.get("status", "") for r in rows if r.get("handle_name") == handle), "INVALID")
    MarketplaceOnboarding.objects.filter(pk=onboarding.pk).update(
        tiktok_status=status, status_checked_at=timezone.now()
    )
    onboarding.tiktok_status = status
    if not _advance(onboarding, status, tto):
        _reschedule(onboarding)
    return MarketplaceOnboarding.objects.values_list("state", flat=True).get(pk=onboarding.pk)


def _advance(onboarding: MarketplaceOnboarding, status: str, tto: TikTokOneAccount) -> bool:
    """Apply TikTok's status to the state machine; True if the row changed state."""
    now = timezone.now()
    if status == "IN":
        return transition(
            onboarding,
            State.IN_MARKETPLACE,
            "You are in the TikTok Creator Marketplace.",
            joined_at=now,
            next_poll_at=None,
        )
    if status == "INVALID":
        return transition(
            onboarding,
            State.INVALID,
            "TikTok does not recognise this account for the "
            "Creator Marketplace. Check the handle in the TikTok app, or contact support.",
            next_poll_at=None,
        )
    if onboarding.state == State.AUTHORIZED:
        overdue = onboarding.invite_requested_at is None or onboarding.invite_requested_at + INVITE_DEADLINE <= now
        if status == "NOT_IN" or overdue:
            return request_invite(onboarding, tto)
        return transition(onboarding, State.WAITING, next_poll_at=now + POLL_BASE)
    if (
        onboarding.state == State.WAITING
        and onboarding.invite_requested_at is not None
        and onboarding.invite_requested_at + INVITE_DEADLINE <= now
    ):
        return transition(onboarding, State.OVERDUE, OVERDUE_NOTICE, overdue_at=now, next_poll_at=now + POLL_MAX)
    return False


OVERDUE_NOTICE = (
    "Your Creator Marketplace invite has not arrived after 24 hours. Check that your age is verified in "
    "the TikTok app, authorize TikTok again to request another invite, or contact support."
)


def eligibility_failures(account: TikTokAccount) -> list[dict]:
    """What the platform can check before asking TikTok; TikTok's own answers add the rest."""
    failures = []
    if account.follower_count is not None and account.follower_count < MIN_FOLLOWERS:
        failures.append(_reason("followers", ""))
    if account.account_type == TikTokAccount.AccountType.BUSINESS:
        failures.append(_reason("account_type", ""))
    return failures


REASON_TEXT = {
    "followers": ("10,000+ followers", "Grow your audience to at least 10,000 followers, then authorize again."),
    "account_type": (
        "A personal or creator account",
        "Switch to a personal or creator account in the TikTok app (Settings > Account), then authorize again.",
    ),
    "age": ("Age verified", "Verify your age in the TikTok app (Settings > Account), then authorize again."),
    "other": (
        "TikTok's requirements",
        "Check the Creator Marketplace requirements in the TikTok app, or contact support.",
    ),
}


def _reason(check: str, tiktok_reason: str) -> dict:
    label, fix = REASON_TEXT[check]
    return {"check": check, "label": label, "reason": tiktok_reason, "fix": fix}


def _classify_rejection(text: str) -> str:
    lowered = text.lower()
    if "business" in lowered:
        return "account_type"
    if "follower" in lowered:
        return "followers"
    if "age" in lowered:
        return "age"
    return "other"


def request_invite(onboarding: MarketplaceOnboarding, tto: TikTokOneAccount) -> bool:
    """Check eligibility, then ask TikTok for an invite. The state claim comes first, so two
    pollers never send two invites."""
    now = timezone.now()
    if onboarding.state != State.AUTHORIZED:
        return False  # only a freshly authorized account asks for an invite
    account = onboarding.tiktok_account
    failures = eligibility_failures(account)
    if failures:
        return transition(
            onboarding,
            State.NOT_ELIGIBLE,
            _not_eligible_notice(failures),
            ineligible_reasons=failures,
            eligibility_checked_at=now,
            next_poll_at=None,
        )
    if not transition(
        onboarding, State.WAITING, eligibility_checked_at=now, invite_requested_at=now, next_poll_at=now + POLL_BASE
    ):
        return False
    try:
        result = tokens.call_with_credential(
            tto.credential_id, lambda c: c.tcm_creator_invite(tto.tto_tcm_account_id, [account.handle])
        )
    except TikTokError as exc:
        # Put the row back so the next poll asks again; the error is kept for staff.
        MarketplaceOnboarding.objects.filter(pk=onboarding.pk).update(
            state=State.AUTHORIZED,
            invite_requested_at=None,
            last_error=str(exc)[:2000],
            next_poll_at=now + POLL_BASE,
        )
        raise
    return _apply_invite_result(onboarding, account, result)


def _apply_invite_result(onboarding: MarketplaceOnboarding, account: TikTokAccount, result: Mapping[str, Any]) -> bool:
    if account.handle in (result.get("in_tcm") or []):
        return transition(
            onboarding,
            State.IN_MARKETPLACE,
            "You are in the TikTok Creator Marketplace.",
            joined_at=timezone.now(),
            next_poll_at=None,
        )
    if account.handle in (result.get("rejected") or []):
        reasons = result["reject_reasons"].get(account.handle) or ["TikTok rejected the invite."]
        failures = [_reason(_classify_rejection(r), r) for r in reasons]
        if any(f["check"] == "account_type" for f in failures):
            TikTokAccount.objects.filter(pk=account.pk).update(account_type=TikTokAccount.AccountType.BUSINESS)
        return transition(
            onboarding,
            State.NOT_ELIGIBLE,
            _not_eligible_notice(failures),
            ineligible_reasons=failures,
            next_poll_at=None,
        )
    notify(
        account,
        "We asked TikTok to invite you to the Creator Marketplace. The invite may take up to 24 hours "
        "to arrive in the TikTok app under Inbox > Monetization.",
    )
    MarketplaceOnboarding.objects.filter(pk=onboarding.pk).update(
        notice="Invite requested: it may take up to 24 hours to arrive in the TikTok app under Inbox > Monetization."
    )
    return True


def _not_eligible_notice(failures: list[dict]) -> str:
    return "Not eligible for the Creator Marketplace yet: " + "; ".join(f["label"] for f in failures) + "."


def mark_accepted(onboarding: MarketplaceOnboarding) -> bool:
    """The creator tapped Accept in the app: TikTok now processes for 2+ hours."""
    if onboarding.state not in (State.WAITING, State.OVERDUE):
        return False
    now = timezone.now()
    return transition(
        onboarding,
        State.PROCESSING,
        accepted_at=now,
        next_poll_at=now + PROCESSING_TIME,
        notice="Invite accepted. TikTok is processing it (2+ hours): come back and reconnect then.",
    )


def check_now(onboarding: MarketplaceOnboarding) -> None:
    """The creator asked to check again: make the row due at once."""
    MarketplaceOnboarding.objects.filter(pk=onboarding.pk, state__in=MarketplaceOnboarding.POLLED_STATES).update(
        next_poll_at=timezone.now()
    )


# --- Disconnect, revoke, webhooks -----------------------------------------------------------


def mark_disconnected(account: TikTokAccount, reason: str, *, revoked: bool = True) -> None:
    """TikTok no longer honours the grant: keep the account, drop the tokens, ask to reconnect."""
    with transaction.atomic():
        if account.credential_id:
            Credential.objects.filter(pk=account.credential_id).update(
                status=Credential.Status.REVOKED if revoked else Credential.Status.NEEDS_RECONNECT,
                access_token="",
                refresh_token="",
                next_refresh_at=None,
                last_error=reason[:2000],
                last_error_at=timezone.now(),
            )
        onboarding = MarketplaceOnboarding.objects.filter(tiktok_account=account).first()
        if onboarding is not None and onboarding.state != State.DISCONNECTED:
            transition(
                onboarding, State.DISCONNECTED, f"{reason} Authorize TikTok again to continue.", next_poll_at=None
            )
        elif onboarding is None:
            notify(account, f"{reason} Authorize TikTok again to continue.")


def disconnect(account: TikTokAccount) -> None:
    """The creator's Disconnect: revoke at TikTok, then forget the tokens."""
    credential = account.credential
    if credential is not None and credential.access_token and credential.status == Credential.Status.OK:
        try:
            BusinessClient().tt_user_oauth2_revoke(credential.access_token)
        except TikTokError as exc:
            if not exc.needs_reconnect:  # already revoked at TikTok is fine
                raise FlowError("TikTok did not answer; your account is still connected. Try again.") from exc
    mark_disconnected(account, "You disconnected TikTok.")


def handle_authorization_removed(open_id: str) -> bool:
    """`authorization.removed`: TikTok already revoked the token on arrival."""
    account = TikTokAccount.objects.select_related("credential", "owner").filter(open_id=open_id).first()
    if account is None or account.credential is None or account.credential.status == Credential.Status.REVOKED:
        return False
    mark_disconnected(account, "TikTok removed this platform's access to your account.")
    return True


# --- Collaborations and posts ---------------------------------------------------------------


def requirements(campaign: Campaign, account: TikTokAccount | None) -> list[dict]:
    """The brand's checklist; only the items this campaign requires."""
    items = []
    if campaign.require_tiktok_authorized:
        ok = bool(account and account.credential and account.credential.status == Credential.Status.OK)
        items.append({"label": "TikTok authenticated on this platform", "done": ok})
    if campaign.require_sponsored_video_tab:
        items.append({"label": f'Post through the "Sponsored Video" tab with "{campaign.name}" selected', "done": None})
    if campaign.require_original_or_promo_sound:
        items.append({"label": "Use Original Sound or a Promo+ sound only", "done": None})
    return items


def _creator_call(account: TikTokAccount, call):
    if account.credential_id is None:
        raise FlowError("Authorize TikTok first.")
    try:
        return tokens.call_with_credential(account.credential_id, call)
    except TikTokError as exc:
        if exc.needs_reconnect:
            mark_disconnected(account, "TikTok no longer accepts this platform's access.", revoked=False)
            raise FlowError("TikTok no longer accepts our access to your account. Authorize TikTok again.") from exc
        if exc.is_not_tcm_creator:
            raise FlowError(
                "TikTok says you are not in the Creator Marketplace (or not in one of its countries) yet. "
                "Join it first; campaigns open to you once TikTok lists you."
            ) from exc
        if exc.is_scope_missing:
            raise FlowError(
                "You did not give this platform the TikTok permission this needs. "
                "Authorize TikTok again and leave every permission ticked."
            ) from exc
        raise FlowError(f"TikTok said: {exc.message}") from exc


def join_campaign(account: TikTokAccount, campaign: Campaign) -> Collaboration:
    if not campaign.invite_link:
        raise FlowError("This campaign has no TikTok invite link yet; ask the brand.")
    _creator_call(account, lambda c: c.tto_creator_campaign_join(account.creator_id, campaign.invite_link))
    collab, _ = Collaboration.objects.update_or_create(
        campaign=campaign,
        tiktok_account=account,
        defaults={"status": Collaboration.Status.JOINED, "joined_at": timezone.now()},
    )
    return collab


def _published(account: TikTokAccount, video_id: str) -> dict | None:
    data = _creator_call(
        account, lambda c: c.tto_creator_authorized_video_list(account.creator_id, video_ids=[video_id])
    )
    return next((p for p in data.get("posts") or [] if str(p.get("video_id")) == video_id), None)


def link_video(collab: Collaboration, video_id: str) -> CampaignPost:
    """Link a posted video to the campaign; a post still in review is polled until published."""
    account, campaign = collab.tiktok_account, collab.campaign
    _creator_call(
        account, lambda c: c.tto_creator_campaign_video_link(account.creator_id, campaign.invite_link, video_id)
    )
    post, _ = CampaignPost.objects.update_or_create(
        campaign=campaign,
        video_id=video_id,
        defaults={
            "collaboration": collab,
            "tiktok_account": account,
            "link_status": CampaignPost.LinkStatus.APPROVE,
            "linked_at": timezone.now(),
        },
    )
    refresh_publish_status(post)
    return post


def refresh_publish_status(post: CampaignPost, *, announce: bool = False) -> bool:
    """True once TikTok shows the post; until then it stays reviewing and due for a poll.
    With `announce` (the poller), the creator is told once when it goes live."""
    found = _published(post.tiktok_account, post.video_id)
    if found is None:
        post.publish_status = CampaignPost.PublishStatus.REVIEWING
        post.next_poll_at = timezone.now() + POST_POLL
        post.save(update_fields=["publish_status", "next_poll_at"])
        return False
    won = (
        CampaignPost.objects.filter(pk=post.pk)
        .exclude(publish_status=CampaignPost.PublishStatus.PUBLISHED)
        .update(
            publish_status=CampaignPost.PublishStatus.PUBLISHED,
            next_poll_at=None,
            caption=found.get("caption") or "",
            embed_url=found.get("embed_url") or "",
            thumbnail_url=found.get("thumbnail_url") or "",
        )
    )
    if won and announce:
        notify(post.tiktok_account, f"Your post {post.video_id} for {post.campaign.name} is live on TikTok.")
    post.publish_status = CampaignPost.PublishStatus.PUBLISHED
    return True


def link_requests(collab: Collaboration) -> list[dict]:
    account = collab.tiktok_account
    data = _creator_call(
        account, lambda c: c.tto_creator_link_request_get(account.creator_id, collab.campaign.invite_link)
    )
    return list(data.get("link_requests") or [])


def answer_link_request(collab: Collaboration, link_request_id: str, video_id: str, approve: bool) -> None:
    account = collab.tiktok_account
    action = "APPROVE" if approve else "REJECT"
    _creator_call(account, lambda c: c.tto_creator_link_request_confirm(account.creator_id, link_request_id, action))
    status = CampaignPost.LinkStatus.APPROVE if approve else CampaignPost.LinkStatus.REJECTED
    post, created = CampaignPost.objects.update_or_create(
        campaign=collab.campaign,
        video_id=video_id,
        defaults={
            "collaboration": collab,
            "tiktok_account": account,
            "link_status": status,
            "link_request_id": link_request_id,
            "linked_at": timezone.now() if approve else None,
        },
    )
    if approve:
        refresh_publish_status(post)

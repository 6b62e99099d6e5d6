"""Promote a Spark Ad with what a Business Center member was given: "Use other authorized
account or post", pull (an existing post) or push (publish an ad video as a post)."""

from __future__ import annotations

from typing import Any

from integrations.errors import FlowError
from integrations.models import AdAccount, BackgroundJob, BusinessCenter, BusinessCenterGrant, BusinessCenterMember
from integrations.tiktok.spark import identity_handle

from ..models import SparkAdReference
from .flows import ADV, ad_accounts_of, call, member_for, visible_tiktok_grants

Grant = BusinessCenterGrant
PROMOTE_AD_ROLES = {Grant.AdvertiserRole.ADMIN, Grant.AdvertiserRole.OPERATOR}


def promote_options(bc: BusinessCenter, member: BusinessCenterMember) -> dict:
    """What the member may promote with (the accounts and the ad accounts, to page or to look
    one up in), and exactly which permission is missing if not."""
    accounts = visible_tiktok_grants(bc, member).filter(status=Grant.Status.ACTIVE)
    if member.is_admin:
        ad_accounts = ad_accounts_of(bc)
    else:
        ids = Grant.objects.filter(business_center=bc, asset_type=ADV, member=member).values_list("asset_id", "roles")
        allowed = [aid for aid, roles in ids if set(roles) & PROMOTE_AD_ROLES]
        ad_accounts = AdAccount.objects.filter(brand=bc.brand, advertiser_id__in=allowed).order_by("name")
    missing = []
    if not accounts.exists():
        missing.append(
            "permission on an authorized TikTok account in this Business Center (ask an admin to assign one)"
        )
    if not ad_accounts.exists():
        missing.append("Admin or Operator access to an ad account in this Business Center")
    return {"accounts": accounts, "ad_accounts": ad_accounts, "missing": missing}


def bc_identity(bc: BusinessCenter, ad_account: AdAccount, handle: str) -> dict:
    data = call(
        bc,
        lambda c: c.identity_get(
            ad_account.advertiser_id, identity_type="BC_AUTH_TT", identity_authorized_bc_id=bc.bc_id
        ),
    )
    for identity in data.get("identity_list") or []:
        if identity_handle(identity) == handle:
            return identity
    raise FlowError(f"@{handle} is not available to {ad_account} through {bc}. Its owner may have cancelled access.")


def account_posts(bc: BusinessCenter, ad_account: AdAccount, identity: dict) -> list[dict]:
    data = call(
        bc,
        lambda c: c.identity_video_get(
            ad_account.advertiser_id, identity["identity_id"], "BC_AUTH_TT", identity_authorized_bc_id=bc.bc_id
        ),
    )
    return data.get("video_list") or []


def promote_posts_job(job: BackgroundJob) -> tuple[str, dict]:
    """integrations.jobs runner: the posts a member may promote, read again from TikTok with
    the member's permissions as they are now."""
    bc = BusinessCenter.objects.get(pk=job.params["bc"], brand=job.brand)
    member = member_for(job.user, bc)
    if member is None:
        raise FlowError("You are no longer a member of this Business Center.")
    options = promote_options(bc, member)
    grant = next((g for g in options["accounts"] if g.pk == job.params["grant"]), None)
    ad_account = next((a for a in options["ad_accounts"] if a.pk == job.params["ad_account"]), None)
    if grant is None or ad_account is None:
        raise FlowError("Pick an account and an ad account you have permission for.")
    posts = account_posts(bc, ad_account, bc_identity(bc, ad_account, grant.tiktok_account.handle))
    return "", {"posts": [{"item_id": str(p.get("item_id", "")), "text": p.get("text") or ""} for p in posts]}


def record_promotion(
    bc: BusinessCenter,
    member: BusinessCenterMember,
    grant: BusinessCenterGrant,
    ad_account: AdAccount,
    mode: str,
    actor: Any,
    *,
    item_id: str = "",
    video: Any = None,
) -> SparkAdReference:
    """Record the Spark Ad reference chosen with "Use other authorized account or post"."""
    options = promote_options(bc, member)
    if options["missing"]:
        raise FlowError("You need " + " and ".join(options["missing"]) + ".")
    if grant not in options["accounts"] or ad_account not in options["ad_accounts"]:
        raise FlowError("Pick an account and an ad account you have permission for.")
    account = grant.tiktok_account
    assert account is not None  # a TikTok account's grant names the account
    scope = Grant.Scope.PULL if mode == SparkAdReference.Mode.PULL else Grant.Scope.PUSH
    if scope not in grant.scopes:
        raise FlowError(f"@{account.handle} did not give {bc} the '{Grant.Scope(scope).label}' permission.")
    identity = bc_identity(bc, ad_account, account.handle)
    posts: dict[str, str] = {}
    if mode == SparkAdReference.Mode.PULL:
        posts = {str(p.get("item_id", "")): str(p.get("text") or "") for p in account_posts(bc, ad_account, identity)}
        if item_id not in posts:
            raise FlowError("That post is not one of the account's posts available for Spark Ads.")
    elif not video:
        raise FlowError("Choose the ad video to publish as a post.")
    ref = SparkAdReference.objects.create(
        brand=bc.brand,
        business_center=bc,
        member=member,
        ad_account=ad_account,
        tiktok_account=account,
        mode=mode,
        identity_id=identity["identity_id"],
        item_id=item_id if mode == "pull" else "",
        caption=posts.get(item_id, "") if mode == "pull" else "",
        video=video or "",
        created_by=actor,
        status=SparkAdReference.Status.READY if mode == "pull" else SparkAdReference.Status.AWAITING_PUBLISH,
    )
    return ref

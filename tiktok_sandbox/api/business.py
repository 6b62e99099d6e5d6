"""The endpoints `integrations.tiktok.business` calls: advertiser OAuth, ad accounts, Business
Centers and webhook subscriptions."""

from __future__ import annotations

from django.db.models import Q

from tiktok_sandbox import clock, ids, oauth
from tiktok_sandbox.api import Call, endpoint, token_for
from tiktok_sandbox.envelopes import BusinessError
from tiktok_sandbox.models import (
    Ad,
    Advertiser,
    BCAsset,
    BCAssetAssignment,
    BCMember,
    BCQrLink,
    BusinessUser,
    OAuthToken,
    Subscription,
    TTOAccount,
)

ADVERTISER_ROLES = {"ADMIN", "OPERATOR", "ANALYST"}
TT_ACCOUNT_ROLES = {"POST", "LIVE", "DIRECT_MESSAGE"}


# --- advertiser OAuth ---------------------------------------------------------------------


@endpoint("oauth2/access_token/", "POST", auth="app")
def access_token(call: Call) -> dict:
    app_id = call.check_app()
    try:
        code = oauth.consume_code(call.str("auth_code"), "portal", app_id, None)
    except oauth.OAuthFailure as exc:
        raise BusinessError(40110, f"auth_code is invalid: {exc.description}") from exc
    token = oauth.issue_token("advertiser", app_id, "", business_user=code.business_user)
    data = {"access_token": token.access_token, "scope": oauth.ADVERTISER_SCOPES, "token_type": "Bearer"}
    if call.params.get("return_advertiser_ids", True) not in (False, "false"):
        data["advertiser_ids"] = [a.advertiser_id for a in visible_advertisers(code.business_user)]
    return data


@endpoint("oauth2/revoke_token/", "POST", auth="app")
def revoke_token(call: Call) -> dict:
    app_id = call.check_app()
    token = token_for(call.str("access_token"), "advertiser")
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    lost = [a.advertiser_id for a in visible_advertisers(token.business_user)]
    return {"app_id": app_id, "advertiser_ids": lost}


@endpoint("oauth2/advertiser/get/", "GET")
def advertiser_get(call: Call) -> dict:
    call.check_app()
    return {
        "list": [{"advertiser_id": a.advertiser_id, "advertiser_name": a.name} for a in visible_advertisers(call.user)]
    }


@endpoint("user/info/", "GET")
def business_user_info(call: Call) -> dict:
    user = call.user
    local, _, domain = user.email.partition("@")
    return {
        "core_user_id": user.user_id,
        "display_name": user.display_name,
        "email": f"{local[:1]}***@{domain}",
        "avatar_url": "",
        "create_time": 1600000000,
    }


# --- access helpers -----------------------------------------------------------------------


def memberships(user: BusinessUser):
    return BCMember.objects.filter(business_user=user, relation_status="BOUND").select_related("bc")


def visible_advertisers(user: BusinessUser) -> list[Advertiser]:
    """Portal-authorized advertisers, plus those a BC grants the user (admin or assigned)."""
    admin_bcs = memberships(user).filter(user_role="ADMIN").values("bc")
    assigned = BCAssetAssignment.objects.filter(member__business_user=user).values("asset__advertiser")
    query = (
        Q(authorized_users=user) | Q(bcasset__bc__in=admin_bcs, bcasset__relation_status="BOUND") | Q(pk__in=assigned)
    )
    return list(Advertiser.objects.filter(query).distinct().order_by("advertiser_id"))


def advertiser_for(call: Call, field: str = "advertiser_id") -> Advertiser:
    advertiser_id = call.str(field)
    for adv in visible_advertisers(call.user):
        if adv.advertiser_id == advertiser_id:
            return adv
    raise BusinessError(40001, f"advertiser {advertiser_id} doesn't exist or has been deleted.")


def membership_for(call: Call, admin: bool = False) -> BCMember:
    bc_id = call.str("bc_id")
    member = memberships(call.user).filter(bc__bc_id=bc_id).first()
    if member is None:
        raise BusinessError(40001, f"bc_id {bc_id} doesn't exist or you have no permission.")
    if admin and member.user_role != "ADMIN":
        raise BusinessError(40001, "Only Business Center admins can perform this action.")
    return member


# --- advertiser info ----------------------------------------------------------------------

ADVERTISER_FIELDS = [
    "advertiser_id",
    "name",
    "status",
    "role",
    "currency",
    "timezone",
    "display_timezone",
    "company",
    "country",
    "owner_bc_id",
    "advertiser_account_type",
    "balance",
    "create_time",
]


def advertiser_payload(adv: Advertiser) -> dict:
    return {
        "advertiser_id": adv.advertiser_id,
        "name": adv.name,
        "status": adv.status,
        "role": "ROLE_ADVERTISER",
        "currency": adv.currency,
        "timezone": adv.timezone,
        "display_timezone": adv.timezone,
        "company": adv.company,
        "country": adv.country,
        "owner_bc_id": adv.owner_bc.bc_id if adv.owner_bc else "",
        "advertiser_account_type": "AUCTION",
        "balance": float(adv.balance),
        "create_time": int(adv.create_time.timestamp()),
    }


@endpoint("advertiser/info/", "GET")
def advertiser_info(call: Call) -> dict:
    wanted = call.list("advertiser_ids", required=True)
    if len(wanted) > 100:
        raise BusinessError(40002, "advertiser_ids: Longer than maximum length 100.")
    fields = call.list("fields") or ADVERTISER_FIELDS
    visible = {a.advertiser_id: a for a in visible_advertisers(call.user)}
    missing = [i for i in wanted if i not in visible]
    if missing:
        raise BusinessError(40001, f"advertiser {missing[0]} doesn't exist or has been deleted.")
    rows = [advertiser_payload(visible[i]) for i in wanted]
    return {"list": [{k: v for k, v in row.items() if k in fields or k == "advertiser_id"} for row in rows]}


# --- Business Center -------------------------------------------------------------------------


def bc_payload(member: BCMember) -> dict:
    bc = member.bc
    return {
        "bc_info": {
            "bc_id": bc.bc_id,
            "name": bc.name,
            "company": bc.company,
            "currency": bc.currency,
            "timezone": bc.timezone,
            "status": bc.status,
            "type": bc.type,
            "verification_status": bc.verification_status,
        },
        "user_role": member.user_role,
        "ext_user_role": {"finance_role": member.finance_role or None},
    }


@endpoint("bc/get/", "GET")
def bc_get(call: Call) -> dict:
    rows = memberships(call.user).order_by("bc__bc_id")
    if call.params.get("bc_id"):
        rows = rows.filter(bc__bc_id=call.params["bc_id"])
    page, info = call.page([bc_payload(m) for m in rows], 10, 50)
    return {"list": page, "page_info": info}


def member_payload(member: BCMember) -> dict:
    roles = {}
    for a in member.assignments.select_related("asset"):
        if a.asset.asset_type == "ADVERTISER":
            roles[a.asset.asset_id] = a.advertiser_role
    return {
        "user_id": member.user_id,
        "user_name": member.user_name,
        "user_email": member.user_email,
        "user_role": member.user_role,
        "relation_status": member.relation_status,
        "advertiser_role": next(iter(roles.values()), None),
        "catalog_role": None,
        "ext_user_role": {"finance_role": member.finance_role or None},
    }


@endpoint("bc/member/get/", "GET")
def bc_member_get(call: Call) -> dict:
    me = membership_for(call)
    filters = call.dict("filtering")
    rows = me.bc.members.order_by("pk")
    if filters.get("user_role"):
        rows = rows.filter(user_role=filters["user_role"])
    if filters.get("relation_status"):
        rows = rows.filter(relation_status=filters["relation_status"])
    if filters.get("keyword"):
        rows = rows.filter(Q(user_name__icontains=filters["keyword"]) | Q(user_email__icontains=filters["keyword"]))
    page, info = call.page([member_payload(m) for m in rows], 10, 20)
    return {"list": page, "page_info": info}


@endpoint("bc/member/invite/", "POST")
def bc_member_invite(call: Call) -> dict:
    me = membership_for(call, admin=True)
    emails = call.list("emails", required=True)
    if "asset_ids" not in call.params:
        # Required by TikTok (official SDK MemberInviteBody); an empty list shares nothing.
        raise BusinessError(40002, "asset_ids: Missing data for required field.")
    call.list("asset_ids")
    if len(emails) > 50:
        raise BusinessError(40002, "emails: Longer than maximum length 50.")
    role = call.str("user_role", required=False, default="STANDARD")
    if role not in ("ADMIN", "STANDARD"):
        raise BusinessError(40002, "user_role: Must be one of ADMIN, STANDARD.")
    for email in emails:
        if not me.bc.members.filter(user_email=email).exists():
            known = BusinessUser.objects.filter(email=email).first()
            me.bc.members.create(
                business_user=known,
                user_id=known.user_id if known else ids.numeric_id("71"),
                user_name=email.split("@")[0],
                user_email=email,
                user_role=role,
                relation_status="PENDING" if known is None else "BOUND",
            )
    return {}


def _asset_payload(asset: BCAsset, member: BCMember | None = None) -> dict:
    data = {
        "asset_id": asset.asset_id,
        "asset_name": asset.asset_name,
        "relation_type": asset.relation_type,
        "relation_status": asset.relation_status,
    }
    assignment = asset.assignments.filter(member=member).first() if member else None
    if asset.asset_type == "ADVERTISER":
        data.update(
            advertiser_status=asset.advertiser.status if asset.advertiser else None,
            advertiser_account_type="AUCTION",
            advertiser_role=assignment.advertiser_role
            if assignment
            else ("ADMIN" if member and member.user_role == "ADMIN" else None),
            owner_bc_name=asset.bc.name,
        )
    else:
        user = asset.tiktok_user
        data.update(
            owner_bc_name=None,
            tt_asset_handle=user.handle if user else "",
            is_business_verified=False,
            tt_account_roles=assignment.tt_account_roles if assignment else [],
        )
    return data


def _visible_assets(me: BCMember, asset_type: str):
    assets = me.bc.assets.filter(asset_type=asset_type).order_by("pk")
    if me.user_role != "ADMIN":
        # STANDARD members see only what was assigned to them.
        assets = assets.filter(assignments__member=me)
    return assets


@endpoint("bc/asset/get/", "GET")
def bc_asset_get(call: Call) -> dict:
    me = membership_for(call)
    asset_type = call.str("asset_type")
    filters = call.dict("filtering")
    assets = _visible_assets(me, asset_type)
    if filters.get("keyword"):
        assets = assets.filter(asset_name__icontains=filters["keyword"])
    target = me
    if filters.get("user_id"):
        target = me.bc.members.filter(user_id=filters["user_id"]).first()
        assets = assets.filter(assignments__member=target)
    page, info = call.page([_asset_payload(a, target) for a in assets], 10, 50)
    return {"list": page, "page_info": info}


def _asset_for(call: Call, me: BCMember) -> BCAsset:
    asset = me.bc.assets.filter(asset_type=call.str("asset_type"), asset_id=call.str("asset_id")).first()
    if asset is None:
        raise BusinessError(40001, "asset_id doesn't exist in this Business Center.")
    return asset


def _member_for(call: Call, me: BCMember) -> BCMember:
    member = me.bc.members.filter(user_id=call.str("user_id")).first()
    if member is None:
        raise BusinessError(40001, "user_id is not a member of this Business Center.")
    return member


@endpoint("bc/asset/assign/", "POST")
def bc_asset_assign(call: Call) -> dict:
    me = membership_for(call, admin=True)
    asset, member = _asset_for(call, me), _member_for(call, me)
    if asset.asset_type == "ADVERTISER":
        role = call.str("advertiser_role")
        if role not in ADVERTISER_ROLES:
            raise BusinessError(40002, "advertiser_role: Must be one of ADMIN, OPERATOR, ANALYST.")
        defaults = {"advertiser_role": role}
    else:
        roles = call.list("tt_account_roles", required=True)
        if set(roles) - TT_ACCOUNT_ROLES:
            raise BusinessError(40002, "tt_account_roles: Must be POST, LIVE or DIRECT_MESSAGE.")
        defaults = {"tt_account_roles": roles}
    BCAssetAssignment.objects.update_or_create(asset=asset, member=member, defaults=defaults)
    return {}


@endpoint("bc/asset/unassign/", "POST")
def bc_asset_unassign(call: Call) -> dict:
    me = membership_for(call, admin=True)
    asset, member = _asset_for(call, me), _member_for(call, me)
    BCAssetAssignment.objects.filter(asset=asset, member=member).delete()
    return {}


@endpoint("bc/asset/member/get/", "GET")
def bc_asset_member_get(call: Call) -> dict:
    me = membership_for(call)
    asset = _asset_for(call, me)
    rows = []
    for a in asset.assignments.select_related("member").order_by("pk"):
        rows.append(
            {
                "user_id": a.member.user_id,
                "user_name": a.member.user_name,
                "user_email": a.member.user_email,
                "user_role": a.member.user_role,
                "relation_status": a.member.relation_status,
                "advertiser_role": a.advertiser_role or None,
                "tt_account_roles": a.tt_account_roles,
            }
        )
    page, info = call.page(rows, 10, 50)
    return {"list": page, "page_info": info}


@endpoint("bc/asset/account/authorization/", "GET")
def bc_account_authorization(call: Call) -> dict:
    me = membership_for(call, admin=True)
    link = BCQrLink.objects.filter(bc=me.bc).first() or BCQrLink.objects.create(
        token=ids.token("bcqr").split(".", 1)[1], bc=me.bc, created_at=clock.now()
    )
    return {"bc_auth_qr_code": call.request.build_absolute_uri(f"/sandbox/bc-auth/{link.token}/")}


# --- webhooks ------------------------------------------------------------------------------

ENTITIES = {
    "AD_ACCOUNT_SUSPENSION",
    "LEAD",
    "AD_GROUP",
    "AD",
    "TCM_VIDEOS",
    "CREATIVE_FATIGUE",
    "API_SERVICE_STATUS",
    "REPORT_DATA_CHANGE",
}


# enum APIServiceType (Go SDK): the products an API_SERVICE_STATUS subscription may filter on.
API_PRODUCTS = {
    "BUSINESS_CENTER_API", "CREATIVES_API", "CATALOG_API", "TIKTOK_STORE_API", "CAMPAIGN_API",
    "REPORTING_API", "AUDIENCE_API", "STREAMING_API", "EVENTS_API", "ACCOUNTS_API", "MENTIONS_API",
    "TIKTOK_ONE_API", "DISCOVERY_API", "SPARK_RECOMMEND_API", "BUSINESS_MESSAGING_API",
}  # fmt: skip


def _product_filters(entity: str, detail: dict) -> list[str]:
    """`product_filters` applies to API_SERVICE_STATUS only; none means every product."""
    filters = detail.get("product_filters") or []
    if entity != "API_SERVICE_STATUS":
        return []
    if not isinstance(filters, list) or any(f not in API_PRODUCTS for f in filters):
        raise BusinessError(40002, "subscription_detail.product_filters: Not a valid choice.")
    return filters


@endpoint("subscription/subscribe/", "POST", auth="app")
def subscribe(call: Call) -> dict:
    app_id = call.check_app()
    entity = call.str("subscribe_entity")
    if entity not in ENTITIES:
        raise BusinessError(40002, "subscribe_entity: Not a valid choice.")
    callback = call.str("callback_url")
    detail = call.dict("subscription_detail")
    account, token = None, None
    if entity == "TCM_VIDEOS":
        token = token_for(str(detail.get("access_token", "")), "advertiser")
        account = TTOAccount.objects.filter(
            tto_tcm_account_id=str(detail.get("tto_tcm_account_id", "")), owner=token.business_user
        ).first()
        if account is None:
            raise BusinessError(40001, "subscription_detail.tto_tcm_account_id is invalid.")
    ads_fields: dict = {}
    if entity in ADS_ENTITIES:
        token, ads_fields = _ads_subscription(entity, detail)
    sub = Subscription.objects.create(
        subscription_id=ids.numeric_id("73"),
        subscribe_entity=entity,
        callback_url=callback,
        tto_account=account,
        token=token,
        created_at=clock.now(),
        app_id=app_id,
        product_filters=_product_filters(entity, detail),
        **ads_fields,
    )
    return {"subscription_id": sub.subscription_id}


# --- ad webhooks: REPORT_DATA_CHANGE, AD, CREATIVE_FATIGUE -----------------------------------

ADS_ENTITIES = {"REPORT_DATA_CHANGE", "AD", "CREATIVE_FATIGUE"}
# model/subscription/subscription.go: notify_frequency, default 5_MINUTE.
NOTIFY_FREQUENCIES = {"5_MINUTE": 5, "15_MINUTE": 15, "30_MINUTE": 30, "60_MINUTE": 60}


def _ads_subscription(entity: str, detail: dict) -> tuple[OAuthToken, dict]:
    """The advertiser token and the fields of an ads subscription (model/subscription/
    subscription.go): REPORT_DATA_CHANGE takes advertiser_ids and notify_frequency; AD takes
    advertiser_id and ad_id (required); CREATIVE_FATIGUE advertiser_id and an optional ad_id.
    The token must see every ad account named; revoking it ends the subscription."""
    from tiktok_sandbox import events  # events reads ads, whose endpoints import this module

    token = token_for(str(detail.get("access_token", "")), "advertiser")
    visible = {adv.advertiser_id: adv for adv in visible_advertisers(token.business_user)}
    if entity == "REPORT_DATA_CHANGE":
        wanted = detail.get("advertiser_ids")
        if not isinstance(wanted, list) or not 1 <= len(wanted) <= 100:
            raise BusinessError(40002, "subscription_detail.advertiser_ids: between 1 and 100 ids.")
        frequency = detail.get("notify_frequency") or "5_MINUTE"
        if frequency not in NOTIFY_FREQUENCIES:
            raise BusinessError(40002, "subscription_detail.notify_frequency: Not a valid choice.")
        advertiser_ids = [str(a) for a in wanted]
    else:
        advertiser_ids = [str(detail.get("advertiser_id") or "")]
        if not advertiser_ids[0]:
            raise BusinessError(40002, "subscription_detail.advertiser_id: Missing data for required field.")
        frequency = ""
    if missing := [a for a in advertiser_ids if a not in visible]:
        raise BusinessError(40001, f"advertiser {missing[0]} doesn't exist or has been deleted.")
    ad_id = str(detail.get("ad_id") or "")
    if entity == "AD" and not ad_id:
        raise BusinessError(40002, "subscription_detail.ad_id: Missing data for required field.")
    if ad_id and not Ad.objects.filter(ad_id=ad_id, advertiser__advertiser_id=advertiser_ids[0]).exists():
        raise BusinessError(40002, f"subscription_detail.ad_id: ad {ad_id} doesn't exist.")
    fields: dict = {"advertiser_ids": advertiser_ids, "ad_id": ad_id, "notify_frequency": frequency}
    if entity == "REPORT_DATA_CHANGE":
        # The first window starts now, from what the accounts show now: an event says what changed.
        fields |= {"window_started_at": clock.now(), "last_values": events.report_values(advertiser_ids)}
    return token, fields


@endpoint("subscription/unsubscribe/", "POST", auth="app")
def unsubscribe(call: Call) -> dict:
    """model/subscription/unsubscribe.go: {app_id, secret, subscription_id} → subscription_id."""
    app_id = call.check_app()
    subscription_id = call.str("subscription_id")
    deleted, _ = Subscription.objects.filter(subscription_id=subscription_id, app_id=app_id).delete()
    if not deleted:
        raise BusinessError(40007, f"subscription_id {subscription_id} doesn't exist.")
    return {"subscription_id": subscription_id}

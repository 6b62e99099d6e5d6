"""TikTok One campaign assets: brand profiles (tto/tcm/brand/profile/*) and anchors
(tto/tcm/anchor/*), the two things a campaign may point at (brand_profile_id, anchor_id)."""

from __future__ import annotations

from datetime import timedelta

from tiktok_sandbox import clock, ids
from tiktok_sandbox.api import Call, endpoint
from tiktok_sandbox.api_brand import tto_account_for
from tiktok_sandbox.envelopes import BusinessError
from tiktok_sandbox.models import Anchor, BrandProfile

ANCHOR_TYPES = ("WEB_ANCHOR",)
ANCHOR_SUB_TYPES = ("DESTINATION", "ECOMMERCE", "ENTERTAINMENT")
# TikTok reviews an anchor after it is created; the sandbox's review runs on its clock
# (docs/sandbox.md, "Anchors"): DRAFT, then IN_REVIEW, then a decision.
ANCHOR_DRAFT_FOR = timedelta(seconds=30)
ANCHOR_REVIEW_FOR = timedelta(minutes=5)


# --- brand profiles -------------------------------------------------------------------------


def _profile_payload(profile: BrandProfile) -> dict:
    return {
        "brand_profile_id": profile.brand_profile_id,
        "brand_name": profile.brand_name,
        "brand_industry_id": profile.brand_industry_id,
        "brand_website": profile.brand_website,
        "logo_url": profile.logo_url,
        "tiktok_account_url": profile.tiktok_account_url,
    }


def _url(call: Call, name: str, prefix: str) -> str:
    value = call.str(name, required=False)
    if value and not value.startswith(prefix):
        raise BusinessError(40002, f"{name}: Must start with {prefix}")
    return value


@endpoint("tto/tcm/brand/profile/create/", "POST")
def brand_profile_create(call: Call) -> dict:
    account = tto_account_for(call)
    name = call.str("brand_name")
    if len(name) > 60:
        raise BusinessError(40002, "brand_name: Longer than maximum length 60.")
    profile = BrandProfile.objects.create(
        brand_profile_id=ids.numeric_id("75"),
        tto_account=account,
        brand_name=name,
        brand_industry_id=call.str("brand_industry_id", required=False),
        brand_website=_url(call, "brand_website", "https://"),
        logo_url=call.str("logo_url", required=False),
        tiktok_account_url=_url(call, "tiktok_account_url", "https://www.tiktok.com/@"),
    )
    return _profile_payload(profile)


@endpoint("tto/tcm/brand/profile/get/", "GET")
def brand_profile_get(call: Call) -> dict:
    account = tto_account_for(call)
    profiles = account.brand_profiles.order_by("id")
    wanted = call.list("brand_profile_ids")
    if len(wanted) > 20:
        raise BusinessError(40002, "brand_profile_ids: Longer than maximum length 20.")
    if wanted:
        profiles = profiles.filter(brand_profile_id__in=wanted)
    page, info = call.page(list(profiles), 10, 100)
    return {"brands": [_profile_payload(p) for p in page], "page_info": info}


# --- anchors --------------------------------------------------------------------------------


def anchor_status(anchor: Anchor) -> str:
    age = clock.now() - anchor.created_at
    if age < ANCHOR_DRAFT_FOR:
        return "DRAFT"
    if age < ANCHOR_DRAFT_FOR + ANCHOR_REVIEW_FOR:
        return "IN_REVIEW"
    # The sandbox's reviewer refuses a landing page that is not https.
    landing = str(anchor.call_to_action.get("landing_page_url") or "")
    return "APPROVED" if landing.startswith("https://") else "REJECTED_BY_AUDIT"


def _anchor_payload(anchor: Anchor) -> dict:
    return {
        "anchor_id": anchor.anchor_id,
        "status": anchor_status(anchor),
        "anchor_type": anchor.anchor_type,
        "anchor_sub_type": anchor.anchor_sub_type,
        "country_code": anchor.country_code,
        "call_to_action": anchor.call_to_action,
        "anchor_title": anchor.anchor_title,
        "anchor_name": anchor.anchor_name,
        "thumbnail_url": anchor.thumbnail_url,
    }


def _choice(call: Call, name: str, choices: tuple[str, ...]) -> str:
    value = call.str(name)
    if value not in choices:
        raise BusinessError(40002, f"{name}: Must be one of {', '.join(choices)}.")
    return value


@endpoint("tto/tcm/anchor/create/", "POST")
def anchor_create(call: Call) -> dict:
    account = tto_account_for(call)
    action = call.dict("call_to_action")
    if not action.get("landing_page_url"):
        raise BusinessError(40002, "call_to_action.landing_page_url: Missing data for required field.")
    anchor = Anchor.objects.create(
        anchor_id=ids.numeric_id("76"),
        tto_account=account,
        anchor_type=_choice(call, "anchor_type", ANCHOR_TYPES),
        anchor_sub_type=_choice(call, "anchor_sub_type", ANCHOR_SUB_TYPES),
        anchor_name=call.str("anchor_name")[:100],
        anchor_title=call.str("anchor_title")[:100],
        country_code=call.str("country_code", required=False).upper()[:2],
        call_to_action={k: str(v) for k, v in action.items() if v},
        thumbnail_url=call.str("thumbnail_url", required=False),
        created_at=clock.now(),
    )
    return _anchor_payload(anchor)


@endpoint("tto/tcm/anchor/get/", "GET")
def anchor_get(call: Call) -> dict:
    account = tto_account_for(call)
    anchors = account.anchors.order_by("-created_at", "anchor_id")
    wanted = call.list("anchor_ids")
    if wanted:
        anchors = anchors.filter(anchor_id__in=wanted)
    page, info = call.page(list(anchors), 10, 100)
    return {"anchors": [_anchor_payload(a) for a in page], "page_info": info}


@endpoint("tto/tcm/anchor/delete/", "POST")
def anchor_delete(call: Call) -> dict:
    account = tto_account_for(call)
    deleted, _ = account.anchors.filter(anchor_id=call.str("anchor_id")).delete()
    if not deleted:
        raise BusinessError(40007, "anchor_id doesn't exist.")
    return {}


# --- what a campaign takes from them ---------------------------------------------------------


def campaign_fields(call: Call, account) -> dict:
    """The create request's country_codes, dm_info, brand_profile_id and anchor_id, checked:
    a profile or anchor must be the account's own, an anchor must not have been refused."""
    countries = [str(c) for c in call.list("country_codes")]
    if any(len(c) != 2 or not c.isalpha() or not c.isupper() for c in countries):
        raise BusinessError(40002, "country_codes: Each must be a two-letter country code such as US.")
    dm_info = call.dict("dm_info") or None
    if dm_info is not None:
        handle = dm_info.get("business_account_handle")
        if "dm_allowed" in dm_info and not isinstance(dm_info["dm_allowed"], bool):
            raise BusinessError(40002, "dm_info.dm_allowed: Not a valid boolean.")
        if handle is not None and not isinstance(handle, str):
            raise BusinessError(40002, "dm_info.business_account_handle: Not a valid string.")
        dm_info = {"business_account_handle": handle or "", "dm_allowed": bool(dm_info.get("dm_allowed"))}
    profile_id = call.str("brand_profile_id", required=False)
    if profile_id and not account.brand_profiles.filter(brand_profile_id=profile_id).exists():
        raise BusinessError(40007, "brand_profile_id doesn't exist.")
    anchor_id = call.str("anchor_id", required=False)
    if anchor_id:
        anchor = account.anchors.filter(anchor_id=anchor_id).first()
        if anchor is None:
            raise BusinessError(40007, "anchor_id doesn't exist.")
        if anchor_status(anchor) == "REJECTED_BY_AUDIT":
            raise BusinessError(40002, "anchor_id: The anchor was rejected in review.")
    return {"country_codes": countries, "dm_info": dm_info, "brand_profile_id": profile_id, "anchor_id": anchor_id}

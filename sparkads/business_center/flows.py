"""Business Center: members, TikTok-account access by QR code and assignments.

Roles come from the signed-in user's BusinessCenterMember row (ADMIN / STANDARD, TikTok's
own): admins request access and assign; standard members act only on what they were given
(AdsHelp article?aid=10006161). TikTok enforces the same on its side, but every check here
runs on the server before any data is read, so a standard member never sees admin data.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import segno
from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.defaultfilters import pluralize
from django.utils import timezone

from integrations.errors import FlowError, message_for
from integrations.models import (
    AdAccount,
    BackgroundJob,
    BusinessCenter,
    BusinessCenterGrant,
    BusinessCenterMember,
    TikTokAccount,
)
from integrations.tiktok import TikTokError, items, iter_pages
from integrations.tiktok.spark import identity_handle
from integrations.tiktok.tokens import call_with_credential

from ..models import AuditEvent, QrAccessRequest

Grant = BusinessCenterGrant
TT, ADV = Grant.AssetType.TT_ACCOUNT, Grant.AssetType.ADVERTISER
# The QR link is account-agnostic and reusable: a second "generate" this soon after the last
# one is a double submit, answered with the link already made.
QR_REPEAT_WINDOW = timedelta(minutes=1)
# A link request older than this without an answer belonged to a process that died.
QR_STALE_AFTER = timedelta(minutes=10)
# An assignment left pending this long belonged to a process that died mid-call.
ASSIGN_STALE_AFTER = timedelta(minutes=10)


def call(bc: BusinessCenter, fn: Callable[[Any], Any]) -> Any:
    if bc.credential_id is None:
        raise FlowError(f"{bc} has no TikTok connection. Reconnect it under Integrations.")
    return call_with_credential(bc.credential_id, fn)


def member_for(user: Any, bc: BusinessCenter) -> BusinessCenterMember | None:
    if not user.is_authenticated:
        return None
    return bc.members.filter(user=user).first()


def tiktok_account_limit() -> int:
    return settings.BC_TIKTOK_ACCOUNT_LIMIT


# --- sync -----------------------------------------------------------------------------------


def sync_members(bc: BusinessCenter) -> int:
    """`bc/member/get/` into BusinessCenterMember; link platform users of the brand by email.

    Only addresses the user proved they own (allauth's verified EmailAddress) count: anyone
    can type a BC admin's address into their profile, and the link grants the BC role.
    """
    rows = list(items(iter_pages(lambda p: call(bc, lambda c: c.bc_member_get(bc.bc_id, page=p)))))
    verified = EmailAddress.objects.filter(verified=True, user__in=bc.brand.memberships.values("user"))
    brand_users = {address.email.lower(): address.user for address in verified.select_related("user")}
    for row in rows:
        member, _ = BusinessCenterMember.objects.update_or_create(
            business_center=bc,
            tiktok_user_id=str(row["user_id"]),
            defaults={
                "user_name": row.get("user_name") or "",
                "email": row.get("user_email") or "",
                "role": row.get("user_role") or BusinessCenter.Role.STANDARD,
                "relation_status": row.get("relation_status") or "",
            },
        )
        match = brand_users.get((member.email or "").lower())
        if member.user_id is None and match is not None:
            member.user = match
            member.save(update_fields=["user"])
    return len(rows)


def link_member(bc: BusinessCenter, member: BusinessCenterMember, user: Any, actor: Any) -> None:
    """Link a BC member to a brand member by hand (emails differ between TikTok and here)."""
    if user is not None and not bc.brand.memberships.filter(user=user).exists():
        raise FlowError("Only members of this brand can be linked.")
    member.user = user
    member.save(update_fields=["user"])


def sync_tiktok_accounts(bc: BusinessCenter) -> tuple[int, int]:
    """`bc/asset/get/` TT_ACCOUNT into grants: returns (newly approved, newly cancelled)."""
    rows = list(items(iter_pages(lambda p: call(bc, lambda c: c.bc_asset_get(bc.bc_id, TT, page=p)))))
    identities = bc_identities(bc) if rows else {}
    approved = cancelled = 0
    for row in rows:
        handle = row.get("tt_asset_handle") or row.get("asset_name") or ""
        account, _ = TikTokAccount.objects.get_or_create(
            handle=handle, defaults={"display_name": row.get("asset_name", "")}
        )
        bound = row.get("relation_status") == "BOUND"
        grant, created = Grant.objects.get_or_create(
            business_center=bc,
            asset_type=TT,
            asset_id=str(row["asset_id"]),
            member=None,
            defaults={"tiktok_account": account, "status": Grant.Status.PENDING},
        )
        grant.scopes = _scopes(identities, handle, grant.scopes)
        if bound and grant.status != Grant.Status.ACTIVE:
            grant.status, grant.granted_at, grant.cancelled_at = Grant.Status.ACTIVE, timezone.now(), None
            approved += 1
            AuditEvent.record(
                bc.brand,
                AuditEvent.Kind.ACCOUNT_APPROVED,
                f"@{handle} gave {bc} access ({', '.join(grant.scopes)})",
                business_center=bc,
                tiktok_account=account,
            )
        elif not bound and grant.status == Grant.Status.ACTIVE:
            grant.status, grant.cancelled_at = Grant.Status.CANCELLED, timezone.now()
            cancelled += 1
            AuditEvent.record(
                bc.brand,
                AuditEvent.Kind.REVOKED,
                f"@{handle} cancelled {bc}'s access",
                business_center=bc,
                tiktok_account=account,
            )
        grant.save()
    bc.last_checked_at = timezone.now()
    bc.save(update_fields=["last_checked_at"])
    return approved, cancelled


def bc_identities(bc: BusinessCenter) -> dict[str, dict] | None:
    """The BC's TikTok accounts as ``identity/get/`` BC_AUTH_TT identities, by handle: the only
    place TikTok reports what each account allowed (``can_pull_video`` = existing posts,
    ``can_push_video`` = publish). None when the BC has no ad account to ask through."""
    ad_account = ad_accounts_of(bc).first()
    if ad_account is None:
        return None

    def page(p: int) -> Any:
        return call(
            bc,
            lambda c: c.identity_get(
                ad_account.advertiser_id, identity_type="BC_AUTH_TT", identity_authorized_bc_id=bc.bc_id, page=p
            ),
        )

    return {identity_handle(i): i for i in items(iter_pages(page), key="identity_list")}


def _scopes(identities: dict[str, dict] | None, handle: str, fallback: list) -> list[str]:
    identity = (identities or {}).get(handle)
    if identity is None:
        return fallback if identities is None else []
    pairs = ((Grant.Scope.PULL, identity.get("can_pull_video")), (Grant.Scope.PUSH, identity.get("can_push_video")))
    return [str(scope) for scope, on in pairs if on is True]


def sync_job(job: BackgroundJob) -> tuple[str, dict]:
    """integrations.jobs runner of "Read members and accounts from TikTok"."""
    bc = BusinessCenter.objects.get(pk=job.params["bc"], brand=job.brand)
    n = sync_members(bc)
    sync_tiktok_accounts(bc)
    return f"{n} member{pluralize(n)} and the authorized TikTok accounts were read from TikTok.", {}


def approvals_job(job: BackgroundJob) -> tuple[str, dict]:
    """integrations.jobs runner of the live approvals count's refresh."""
    bc = BusinessCenter.objects.get(pk=job.params["bc"], brand=job.brand)
    approved, cancelled = sync_tiktok_accounts(bc)
    return "", {"approved": approved, "cancelled": cancelled}


# --- what a member may see ---------------------------------------------------------------------


def visible_tiktok_grants(bc: BusinessCenter, member: BusinessCenterMember) -> QuerySet[BusinessCenterGrant]:
    """Admins see every authorized account; standard members only those assigned to them."""
    qs = Grant.objects.filter(business_center=bc, asset_type=TT, member=None).select_related("tiktok_account")
    if not member.is_admin:
        assigned = Grant.objects.filter(business_center=bc, asset_type=TT, member=member).values("asset_id")
        qs = qs.filter(asset_id__in=assigned)
    return qs.order_by("status", "tiktok_account__handle")


def approved_count(bc: BusinessCenter) -> int:
    return Grant.objects.filter(business_center=bc, asset_type=TT, member=None, status=Grant.Status.ACTIVE).count()


# --- QR access request ----------------------------------------------------------------------


def request_access_qr(
    bc: BusinessCenter, member: BusinessCenterMember, scopes: list[str], actor: Any
) -> QrAccessRequest:
    """One account-agnostic link from `bc/asset/account/authorization/`, for any number of owners."""
    require_admin(member)
    if not scopes or set(scopes) - {Grant.Scope.PULL, Grant.Scope.PUSH}:
        raise FlowError("Pick at least one: existing posts, or publishing ad videos as posts.")
    limit = tiktok_account_limit()
    if approved_count(bc) >= limit:
        raise FlowError(
            f"{bc} already has {limit} of {limit} TikTok accounts, the limit. "
            "Cancel an account's access before requesting more."
        )
    qr = _claim_qr(bc, scopes, actor)
    try:
        link = call(bc, lambda c: c.bc_asset_account_authorization(bc.bc_id))
    except (FlowError, TikTokError):
        qr.delete()  # nothing was generated: the next submit asks TikTok again
        raise
    qr.link = link
    qr.save(update_fields=["link"])
    AuditEvent.record(
        bc.brand,
        AuditEvent.Kind.QR_GENERATED,
        f"QR code to request TikTok accounts for {bc} ({', '.join(Grant.Scope(s).label for s in scopes)})",
        actor=actor,
        business_center=bc,
    )
    return qr


def _claim_qr(bc: BusinessCenter, scopes: list[str], actor: Any) -> QrAccessRequest:
    """The committed row without a link that makes this caller the one who asks TikTok; a
    double submit finds it, or the link it produced moments ago."""
    latest = QrAccessRequest.objects.filter(business_center=bc).first()
    if latest is not None and latest.link and latest.created_at > timezone.now() - QR_REPEAT_WINDOW:
        raise FlowError(f"Already generated at {timezone.localtime(latest.created_at):%H:%M}: share the QR code below.")
    try:
        with transaction.atomic():
            return QrAccessRequest.objects.create(
                brand=bc.brand, business_center=bc, scopes=scopes, link="", created_by=actor
            )
    except IntegrityError:
        pending = QrAccessRequest.objects.filter(business_center=bc, link="").first()
        if pending is not None and pending.created_at < timezone.now() - QR_STALE_AFTER:
            pending.delete()  # its process died before TikTok answered; the next submit asks again
        raise FlowError("Already requested: the QR code is being generated; it appears below in a moment.") from None


def qr_svg(link: str) -> str:
    return segno.make(link, error="m").svg_inline(scale=5, border=2)


def qr_png(link: str) -> bytes:
    buf = io.BytesIO()
    segno.make(link, error="m").save(buf, kind="png", scale=10, border=4)
    return buf.getvalue()


def require_admin(member: BusinessCenterMember | None) -> None:
    if member is None or not member.is_admin:
        raise PermissionError("Only Business Center admins can do this.")


# --- assignment -------------------------------------------------------------------------------


def validate_roles(asset_type: str, roles: list[str]) -> list[str]:
    offered = Grant.TikTokAccountRole if asset_type == TT else Grant.AdvertiserRole
    if not roles or set(roles) - set(offered.values):
        raise FlowError(f"TikTok offers only these roles here: {', '.join(map(str, offered.labels))}.")
    if asset_type == ADV and len(roles) != 1:
        raise FlowError("An ad account takes exactly one role: Admin, Operator or Analyst.")
    return roles


def assign(
    bc: BusinessCenter,
    actor_member: BusinessCenterMember | None,
    members: list[BusinessCenterMember],
    asset_type: str,
    asset_id: str,
    roles: list[str],
    actor: Any,
) -> int:
    """`bc/asset/assign/` for each member that does not already hold exactly these roles; one
    grant row per member and asset, marked pending (committed) before TikTok is called."""
    require_admin(actor_member)
    roles = validate_roles(asset_type, roles)
    target = _asset_label(bc, asset_type, asset_id)
    role_kw = {"tt_account_roles": roles} if asset_type == TT else {"advertiser_role": roles[0]}
    todo = []
    try:
        for m in members:
            claim = _claim_assignment(bc, m, asset_type, asset_id, roles)
            if claim is not None:
                todo.append((m, claim))
    except FlowError:
        for _m, (g, b) in todo:
            _restore(g, b)
        raise
    if not todo:
        names = ", ".join(_member_name(m) for m in members)
        raise FlowError(f"Already assigned: {names} already has {target} ({Grant.roles_in_words(roles)}).")
    for n, (member, (grant, _before)) in enumerate(todo):
        try:
            call(bc, functools.partial(_assign_call, bc, member, asset_type, asset_id, role_kw))
        except (FlowError, TikTokError) as exc:
            for _m, (g, b) in todo[n:]:
                _restore(g, b)
            raise FlowError(_refusal(exc, f"TikTok refused to assign {member}")) from exc
        Grant.objects.filter(pk=grant.pk).update(
            status=Grant.Status.ACTIVE, granted_at=timezone.now(), **_asset_fk(bc, asset_type, asset_id)
        )
        AuditEvent.record(
            bc.brand,
            AuditEvent.Kind.ASSIGNED,
            f"{_member_name(member)} given {target} ({Grant.roles_in_words(roles)})",
            actor=actor,
            business_center=bc,
            member=member,
            **_asset_fk(bc, asset_type, asset_id),
        )
    return len(todo)


def _assign_call(
    bc: BusinessCenter, member: BusinessCenterMember, asset_type: str, asset_id: str, role_kw: dict, client: Any
) -> Any:
    return client.bc_asset_assign(bc.bc_id, member.tiktok_user_id, asset_type, asset_id, **role_kw)


def _member_name(member: BusinessCenterMember) -> str:
    return member.user_name or member.email or str(member)


def _claim_assignment(
    bc: BusinessCenter, member: BusinessCenterMember, asset_type: str, asset_id: str, roles: list[str]
) -> tuple[BusinessCenterGrant, tuple[str, list[str]] | None] | None:
    """Under a lock on the member's row: None when the member already holds exactly `roles`;
    else the assignment row marked pending and committed, with what it was before."""
    with transaction.atomic():
        BusinessCenterMember.objects.select_for_update().filter(pk=member.pk).first()
        grant = Grant.objects.filter(
            business_center=bc, asset_type=asset_type, asset_id=asset_id, member=member
        ).first()
        if grant is not None and grant.status == Grant.Status.ACTIVE and grant.roles == roles:
            return None
        if grant is not None and _in_flight(grant):
            raise FlowError(f"Already requested: {_member_name(member)}'s access is being changed at TikTok.")
        before = (grant.status, grant.roles) if grant is not None else None
        if grant is None:
            grant = Grant.objects.create(
                business_center=bc,
                asset_type=asset_type,
                asset_id=asset_id,
                member=member,
                roles=roles,
                status=Grant.Status.PENDING,
            )
        else:
            grant.roles, grant.status = roles, Grant.Status.PENDING
            grant.save(update_fields=["roles", "status", "updated_at"])
    return grant, before


def _in_flight(grant: BusinessCenterGrant) -> bool:
    """A member's assignment marked pending is a call in flight, unless its process died."""
    return grant.status == Grant.Status.PENDING and grant.updated_at > timezone.now() - ASSIGN_STALE_AFTER


def _restore(grant: BusinessCenterGrant, before: tuple[str, list[str]] | None) -> None:
    """TikTok refused or never got the call: the assignment is what it was, and may be retried."""
    if before is None:
        Grant.objects.filter(pk=grant.pk, status=Grant.Status.PENDING).delete()
    else:
        Grant.objects.filter(pk=grant.pk).update(status=before[0], roles=before[1])


def unassign(
    bc: BusinessCenter,
    actor_member: BusinessCenterMember | None,
    member: BusinessCenterMember,
    asset_type: str,
    asset_id: str,
    actor: Any,
) -> None:
    require_admin(actor_member)
    with transaction.atomic():
        BusinessCenterMember.objects.select_for_update().filter(pk=member.pk).first()
        grant = Grant.objects.filter(
            business_center=bc, asset_type=asset_type, asset_id=asset_id, member=member
        ).first()
        if grant is None:
            raise FlowError(f"Already unassigned: {_member_name(member)} no longer has this asset.")
        if _in_flight(grant):
            raise FlowError(f"Already requested: {_member_name(member)}'s access is being changed at TikTok.")
        before = (grant.status, grant.roles)
        grant.status = Grant.Status.PENDING
        grant.save(update_fields=["status", "updated_at"])
    try:
        call(bc, lambda c: c.bc_asset_unassign(bc.bc_id, member.tiktok_user_id, asset_type, asset_id))
    except (FlowError, TikTokError) as exc:
        _restore(grant, before)
        raise FlowError(_refusal(exc, f"TikTok refused to unassign {member}")) from exc
    label = _asset_label(bc, asset_type, asset_id)
    fk = _asset_fk(bc, asset_type, asset_id)
    grant.delete()
    AuditEvent.record(
        bc.brand,
        AuditEvent.Kind.UNASSIGNED,
        f"{_member_name(member)} no longer has {label}",
        actor=actor,
        business_center=bc,
        member=member,
        **fk,
    )


def _asset_fk(bc: BusinessCenter, asset_type: str, asset_id: str) -> dict:
    if asset_type == TT:
        grant = Grant.objects.filter(business_center=bc, asset_type=TT, asset_id=asset_id, member=None).first()
        return {"tiktok_account": grant.tiktok_account if grant else None}
    return {"ad_account": AdAccount.objects.filter(brand=bc.brand, advertiser_id=asset_id).first()}


def _asset_label(bc: BusinessCenter, asset_type: str, asset_id: str) -> str:
    fk = _asset_fk(bc, asset_type, asset_id)
    obj = fk.get("tiktok_account") or fk.get("ad_account")
    if obj:
        return str(obj)
    # Not synced here yet: named by its kind in words and TikTok's id.
    kind = dict(Grant.AssetType.choices).get(asset_type, asset_type)
    return f"{str(kind).lower()} {asset_id}"


def ad_accounts_of(bc: BusinessCenter) -> QuerySet[AdAccount]:
    return AdAccount.objects.filter(brand=bc.brand, owner_bc=bc).order_by("name")


def assign_choices(
    bc: BusinessCenter, admin: BusinessCenterMember, search: str = ""
) -> tuple[QuerySet[BusinessCenterGrant], QuerySet[AdAccount], QuerySet[BusinessCenterMember]]:
    """What the assign form picks from: the approved TikTok accounts, the ad accounts and the
    members of the BC; with `search`, those whose handle, name, id or email has it."""
    accounts = visible_tiktok_grants(bc, admin).filter(status=Grant.Status.ACTIVE)
    ad_accounts = ad_accounts_of(bc)
    members = bc.members.order_by("role", "user_name", "pk")
    if search:
        accounts = accounts.filter(Q(tiktok_account__handle__icontains=search.lstrip("@")) | Q(asset_id=search))
        ad_accounts = ad_accounts.filter(Q(name__icontains=search) | Q(advertiser_id=search))
        members = members.filter(Q(user_name__icontains=search) | Q(email__icontains=search))
    return accounts, ad_accounts, members


def _refusal(exc: FlowError | TikTokError, what: str) -> str:
    """A transient failure says try again; a refusal says what TikTok refused and why."""
    if isinstance(exc, TikTokError) and exc.is_transient:
        return message_for(exc)
    return f"{what}: {exc.message}"

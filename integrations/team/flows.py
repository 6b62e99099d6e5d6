"""A brand's people: creating a brand, inviting teammates with a role, accepting by link.

Who may invite whom follows the one role rule (`Brand.can_manage`, `roles_grantable_by`).
An invitation link carries a random token whose SHA-256 alone is stored; it works once,
until it expires, and only for a person signed in with the invited address.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from .. import mail
from ..errors import FlowError
from ..models import Brand, BrandInvitation, BrandMembership, InvitationMail
from ..models.brands import hash_invitation_token

INVITATION_VALID_FOR = timedelta(days=7)


def create_brand(user: User, name: str, slug: str = "") -> Brand:
    """A new brand whose first owner is the person creating it, up to BRANDS_PER_ACCOUNT, at
    the address `slug` (the one its creator was shown), else the one its name makes."""
    owned = BrandMembership.objects.filter(user=user, role=BrandMembership.Role.OWNER).count()
    if owned >= settings.BRANDS_PER_ACCOUNT:
        raise FlowError(
            f"You already own {owned} brands, the most one account may create. Contact support if you need another."
        )
    try:
        with transaction.atomic():
            brand = Brand.objects.create(name=name.strip(), slug=slug)
            BrandMembership.objects.create(brand=brand, user=user, role=BrandMembership.Role.OWNER)
    except IntegrityError as exc:
        # Another brand took the address between the page and the click.
        raise FlowError(f"The address /brands/{slug}/ was just taken: choose another.") from exc
    return brand


def _check_role(brand: Brand, by: User, role: str) -> None:
    if role not in brand.roles_grantable_by(by):
        raise FlowError(f"You cannot invite someone as {BrandMembership.Role(role).label.lower()} of {brand.name}.")


def invite(brand: Brand, by: User, email: str, role: str) -> BrandInvitation:
    """Invite `email` with `role` and email them the link. Inviting an address that already has
    an open invitation sends it again with the new role."""
    email = email.strip().lower()
    _check_role(brand, by, role)
    if brand.memberships.filter(user__email__iexact=email).exists():
        raise FlowError(f"{email} is already in {brand.name}.")
    existing = BrandInvitation.objects.filter(
        brand=brand, email=email, accepted_at__isnull=True, cancelled_at__isnull=True
    ).first()
    if existing is not None:
        # Replacing an invitation is making it again: only who could make it may (an admin
        # cannot turn the owner's pending owner-invitation into an admin one).
        if existing.role not in brand.roles_grantable_by(by):
            raise FlowError(
                f"{email} has an open invitation as {existing.get_role_display().lower()}, "
                "which only someone who may invite that role can change or send again."
            )
        existing.role = role
        return resend(existing, by)
    token = secrets.token_urlsafe(32)
    sent = timezone.now()
    try:
        with transaction.atomic():
            invitation = BrandInvitation.objects.create(
                brand=brand,
                email=email,
                role=role,
                invited_by=by,
                token_hash=hash_invitation_token(token),
                sent_at=sent,
                expires_at=sent + INVITATION_VALID_FOR,
            )
            _send(invitation, token, by)
    except IntegrityError as exc:
        # The same address invited at the same moment by a teammate: one invitation stands.
        raise FlowError(f"{email} was just invited by someone else; see the list below.") from exc
    return invitation


def resend(invitation: BrandInvitation, by: User) -> BrandInvitation:
    """A new link (the old one stops working) valid for another full period."""
    if not invitation.is_open:
        raise FlowError(f"The invitation to {invitation.email} was already accepted or cancelled.")
    _check_role(invitation.brand, by, invitation.role)
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_invitation_token(token)
    invitation.sent_at = timezone.now()
    invitation.expires_at = invitation.sent_at + INVITATION_VALID_FOR
    invitation.invited_by = by
    with transaction.atomic():
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "invited_by", "role"])
        _send(invitation, token, by)
    return invitation


def cancel(invitation: BrandInvitation, by: User) -> None:
    if not invitation.is_open:
        raise FlowError(f"The invitation to {invitation.email} was already accepted or cancelled.")
    _check_role(invitation.brand, by, invitation.role)
    BrandInvitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(cancelled_at=timezone.now())


def _check_sending_limits(brand: Brand, email: str) -> None:
    """At most INVITATIONS_PER_BRAND_PER_DAY mails from a brand and INVITATIONS_PER_ADDRESS_PER_DAY
    to an address (from all brands) in any 24 hours: invitations are mail to any address."""
    # Taken in the transaction that sends: concurrent invitations of one brand count in turn.
    Brand.objects.select_for_update().filter(pk=brand.pk).first()
    since = timezone.now() - timedelta(days=1)
    InvitationMail.objects.filter(sent_at__lt=since).delete()  # counted no more
    day = InvitationMail.sent_since(since)
    if day.filter(brand=brand).count() >= settings.INVITATIONS_PER_BRAND_PER_DAY:
        raise FlowError(
            f"This brand has sent {settings.INVITATIONS_PER_BRAND_PER_DAY} invitations in the last 24 hours, "
            "the most it may. Try again tomorrow."
        )
    if day.filter(email=email).count() >= settings.INVITATIONS_PER_ADDRESS_PER_DAY:
        raise FlowError(
            f"{email} has been sent {settings.INVITATIONS_PER_ADDRESS_PER_DAY} invitations in the last 24 hours, "
            "the most one address may get. Try again tomorrow, or ask them to check their inbox and spam folder."
        )


def _send(invitation: BrandInvitation, token: str, by: User) -> None:
    """Queue the invitation's mail, or raise so the caller's transaction records nothing.

    The brand's name is whatever its creator typed, so it stays out of the subject and is
    quoted in the body as the name it is, never read as the platform's own words."""
    link = settings.SITE_URL + reverse("accept_invitation", args=[token])
    inviter = getattr(by, "email", "") or "A teammate"
    role = invitation.get_role_display().lower()
    days = INVITATION_VALID_FOR.days
    body = (
        f"{inviter} invited you to join a brand on aspire_tiktok as {role}. "
        f"The brand's name, as its owner typed it: “{invitation.brand.name}”.\n\n"
        f"Accept the invitation: {link}\n\n"
        f"The link works once, for {days} days. Sign up or sign in with {invitation.email} to accept it.\n"
    )
    _check_sending_limits(invitation.brand, invitation.email)
    InvitationMail.objects.create(brand=invitation.brand, email=invitation.email, sent_at=invitation.sent_at)
    mail.send_or_raise("You are invited to a brand on aspire_tiktok", body, [invitation.email])


def verified_addresses(user: User) -> set[str]:
    """The addresses this person has proven they read. With optional verification anyone may
    sign up as, or make primary, an address they do not own, so only verified ones match an
    invitation. A person allauth holds no address for was made by staff (admin, shell), who
    vouch for the address they typed."""
    known = {address.email.lower(): address.verified for address in EmailAddress.objects.filter(user=user)}
    if not known:
        return {user.email.lower()} if user.email else set()
    return {email for email, verified in known.items() if verified}


def waiting_for(user: User) -> list[BrandInvitation]:
    """Open, unexpired invitations to this person's verified addresses (the links are in their email)."""
    return list(
        BrandInvitation.objects.filter(
            email__in=verified_addresses(user),
            accepted_at__isnull=True,
            cancelled_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).select_related("brand")
    )


def find(token: str) -> BrandInvitation | None:
    """The invitation this link's token belongs to, whatever its state."""
    return BrandInvitation.objects.select_related("brand").filter(token_hash=hash_invitation_token(token)).first()


def problem_with(invitation: BrandInvitation | None, user: User | AnonymousUser) -> str:
    """Why this person cannot accept this invitation now, or "" when they can."""
    if invitation is None:
        return "This invitation link is not valid. It may have been replaced by a newer one: check your latest email."
    if invitation.cancelled_at is not None:
        return f"This invitation to {invitation.brand.name} was cancelled. Ask the brand's owner for a new one."
    if invitation.accepted_at is not None:
        return f"This invitation to {invitation.brand.name} was already used."
    if invitation.is_expired(timezone.now()):
        return f"This invitation to {invitation.brand.name} has expired. Ask the brand's owner to send it again."
    if isinstance(user, User) and invitation.email not in verified_addresses(user):
        if user.email.lower() == invitation.email:
            return (
                f"Confirm that {invitation.email} is yours first: follow the link in the confirmation email "
                "we sent, then open this invitation again."
            )
        return (
            f"This invitation is for {invitation.email}, and you are signed in as {user.email}. "
            f"Sign out, then sign in or sign up as {invitation.email}."
        )
    return ""


def accept(token: str, user: User) -> Brand:
    """Join the brand with the invited role; the link then stops working."""
    with transaction.atomic():
        invitation = BrandInvitation.objects.select_for_update().filter(token_hash=hash_invitation_token(token)).first()
        problem = problem_with(invitation, user)
        if problem:
            raise FlowError(problem)
        assert invitation is not None
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        # Someone already in the brand keeps their role: an invitation never demotes.
        BrandMembership.objects.get_or_create(brand=invitation.brand, user=user, defaults={"role": invitation.role})
    return invitation.brand

"""Tenants: brands, their members and the notices shown to them."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Self

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q
from django.utils.text import slugify


class BrandScopedQuerySet(models.QuerySet):
    """Every brand-side query goes through `for_user`: it keeps only the user's brands."""

    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> Self:
        if not user.is_authenticated:
            return self.none()
        return self.filter(brand__memberships__user=user.pk)


class BrandQuerySet(models.QuerySet):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> Self:
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user.pk)


class Brand(models.Model):
    """The tenant."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The Spark Ads capability case last told to the brand (integrations.connect.capability), so a
    # re-check can tell owners when it changes.
    spark_capability_case = models.CharField(max_length=40, blank=True)
    spark_capability_changed_at = models.DateTimeField(null=True, blank=True)
    # Spark Ads usage rights: an approved code with an unpaid fee waits for "Mark paid" before it
    # is applied to the ad account.
    spark_release_after_payment = models.BooleanField(default=False)

    objects = BrandQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = Brand.free_slug(self.name, exclude=self.pk)
        super().save(*args, **kwargs)

    @staticmethod
    def slug_for(name: str) -> str:
        """The address a brand's name makes by itself."""
        return slugify(name)[:70] or "brand"

    @staticmethod
    def free_slug(name: str, exclude: int | None = None) -> str:
        """The name's own address, or the first free one after it (`-2`, `-3`…). People
        creating a brand are shown it before it is used (integrations.forms.BrandForm)."""
        base = Brand.slug_for(name)
        slug, n = base, 1
        others = Brand.objects.exclude(pk=exclude) if exclude is not None else Brand.objects.all()
        while others.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug

    def role_of(self, user: AbstractBaseUser | AnonymousUser) -> str | None:
        """The user's role in this brand, or None; read once per brand instance."""
        roles = self.__dict__.setdefault("_roles", {})
        if user.pk not in roles:
            membership = self.memberships.filter(user=user.pk).first() if user.is_authenticated else None
            roles[user.pk] = membership.role if membership else None
        return roles[user.pk]

    def can_manage(self, user: AbstractBaseUser | AnonymousUser) -> bool:
        """The one role rule: owners and admins manage a brand; members read it."""
        return self.role_of(user) in BrandMembership.MANAGER_ROLES

    def roles_grantable_by(self, user: AbstractBaseUser | AnonymousUser) -> list[str]:
        """The roles `user` may invite people with: managers invite, and nobody hands out a
        role above their own (an admin cannot make an owner)."""
        if not self.can_manage(user):
            return []
        if self.role_of(user) == BrandMembership.Role.OWNER:
            return list(BrandMembership.Role.values)
        return [BrandMembership.Role.ADMIN, BrandMembership.Role.MEMBER]


class BrandMembership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="brand_memberships")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "brand"], name="integrations_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.brand} ({self.get_role_display().lower()})"


class BrandNotice(models.Model):
    """A message for a brand shown on its integrations page until dismissed (e.g. the Spark
    Ads capability changed after a re-check; the connection to TikTok needs reconnecting)."""

    class Level(models.TextChoices):
        INFO = "info", "Info"
        SUCCESS = "success", "Success"
        WARNING = "warning", "Warning"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="notices")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["brand", "-created_at"], condition=Q(dismissed_at__isnull=True), name="notice_open_idx"
            ),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message[:60]


def hash_invitation_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BrandInvitation(models.Model):
    """An invitation to join a brand with a role, accepted once through an emailed link.

    Only the token's SHA-256 is stored: the link in the email is the one copy of the token,
    so a database read does not yield working links. Resending makes a new token.
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=BrandMembership.Role.choices, default=BrandMembership.Role.MEMBER)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            # One open invitation per address and brand: inviting again resends it.
            models.UniqueConstraint(
                fields=["brand", "email"],
                condition=Q(accepted_at__isnull=True, cancelled_at__isnull=True),
                name="integrations_one_open_invitation",
            ),
        ]
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.brand} ({self.get_role_display().lower()})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at <= now


class InvitationMail(models.Model):
    """One invitation mail sent, kept a day: what the sending limits count (an invitation sent
    again is one row, resent mails are more), so no brand turns the platform into a relay."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    sent_at = models.DateTimeField(db_index=True)

    @classmethod
    def sent_since(cls, since: datetime) -> models.QuerySet[InvitationMail]:
        return cls.objects.filter(sent_at__gte=since)

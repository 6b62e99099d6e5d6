"""Glue between django-allauth, django-axes and the project's mail queue."""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account import forms as allauth_forms
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import user_email, user_username
from allauth.core import context as allauth_context
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from . import mail
from .team import flows as team


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The login being attempted, so lockouts are per (IP, login) and not per IP.

    allauth authenticates with `email=`, not `username=`, which axes would read as None and
    so lock out everyone behind the same address.
    """
    credentials = credentials or {}
    login = credentials.get("email") or credentials.get("username")
    if not login and request is not None:
        login = request.POST.get("login")
    return login.strip().lower() if login else None


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter, with its mail (verification, password reset) queued like all mail."""

    def populate_username(self, request: HttpRequest | None, user: User) -> None:
        """The username is the email address, so staff see who a user is wherever Django admin
        names one (user pickers, lists). People sign in with their email; nobody types it."""
        email = (user_email(user) or "")[:150]
        if email and not get_user_model().objects.filter(username__iexact=email).exists():
            user_username(user, email)
        else:
            super().populate_username(request, user)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, ctx)
        html = next(
            (content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), ""
        )
        mail.send_later(
            message.subject,
            message.body,
            message.to,
            from_email=message.from_email,
            html=html,
            headers=message.extra_headers,
        )


def invited_email(request: HttpRequest | None) -> str:
    """The address of the open invitation a sign-up comes from (its link is the `next` the
    invitation page gives, kept through the form), or ""."""
    if request is None:
        return ""
    following = request.POST.get("next") or request.GET.get("next") or ""
    try:
        match = resolve(following.split("?")[0])
    except Resolver404:
        return ""
    if match.url_name != "accept_invitation":
        return ""
    invitation = team.find(match.kwargs["token"])
    return invitation.email if invitation is not None and not team.problem_with(invitation, AnonymousUser()) else ""


class LoginForm(allauth_forms.LoginForm):
    """allauth's sign-in form; coming from an invitation, the invited address is filled in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        email = invited_email(allauth_context.request)
        if email:
            self.fields["login"].initial = email


class SignupForm(allauth_forms.SignupForm):
    """allauth's sign-up form, as slow for a registered address as for a new one.

    A registered address creates nobody, so allauth hashes no password and answered many times
    sooner than for a new address, telling who has an account although the page says the same.
    Hashing one here makes both answers cost the same.

    Coming from an invitation, the address is the invited one, filled in and kept: the
    invitation can only be accepted by that address, so an account under another would be
    turned away after signing up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invited_email = invited_email(allauth_context.request)
        if self.invited_email:
            field = self.fields["email"]
            field.initial = self.invited_email
            field.widget.attrs["readonly"] = True
            field.help_text = "Your invitation is for this address."

    def clean_email(self) -> str:
        value: str = super().clean_email()
        if self.invited_email and value.lower() != self.invited_email.lower():
            raise ValidationError(
                f"This invitation is for {self.invited_email}: sign up with that address, "
                "or ask the brand for an invitation to yours."
            )
        return value

    def try_save(self, request: HttpRequest) -> tuple[Any, Any]:
        if self.account_already_exists:
            make_password(secrets.token_urlsafe(16))
        return super().try_save(request)

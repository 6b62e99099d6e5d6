"""A brand's people: create a brand, the team page, invitations and accepting one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ..errors import FlowError
from ..forms import BrandForm, InvitationForm
from ..http import AuthenticatedHttpRequest, paged
from ..models import Brand, BrandInvitation
from ..tenancy import get_brand_for_user, get_for_brand_or_404
from . import flows


@login_required
@require_http_methods(["GET", "POST"])
def brand_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Create your brand": the person creating it becomes its owner."""
    form = BrandForm(request.POST or None, user=request.user)
    context: dict[str, Any] = {
        "form": form,
        "address_prefix": settings.SITE_URL + reverse("brand_home", args=["x"]).removesuffix("x/"),
    }
    if request.method == "POST" and form.is_valid():
        if form.needs_confirming:
            initial = {"name": form.cleaned_data["name"], "slug": form.address, "confirmed": True}
            context.update(
                form=BrandForm(initial=initial, user=request.user),
                confirming=form,
                own_address=Brand.slug_for(form.cleaned_data["name"]),
            )
            return render(request, "integrations/brand_create.html", context)
        try:
            brand = flows.create_brand(request.user, form.cleaned_data["name"], form.address)
        except FlowError as exc:
            messages.error(request, exc.message)
            return render(request, "integrations/brand_create.html", context, status=400)
        messages.success(
            request,
            f"{brand.name} is ready at {settings.SITE_URL}{reverse('brand_home', args=[brand.slug])} and you are "
            "its owner. Invite your teammates from the Team page.",
        )
        return redirect("brand_home", slug=brand.slug)
    return render(request, "integrations/brand_create.html", context)


def _team_context(request: HttpRequest, brand: Brand, form: InvitationForm | None = None) -> dict[str, Any]:
    roles = brand.roles_grantable_by(request.user)
    return {
        "brand": brand,
        "can_manage": bool(roles),
        "form": form or InvitationForm(roles=roles),
        # Both grow with the brand: a page of each, with its own links.
        "memberships": paged(request, brand.memberships.select_related("user").order_by("role", "user__email", "pk")),
        "invitations": paged(
            request,
            BrandInvitation.objects.filter(brand=brand, accepted_at__isnull=True, cancelled_at__isnull=True)
            .select_related("invited_by")
            .order_by("email", "pk"),
            param="invitations_page",
        ),
        "grantable": roles,
        "now": timezone.now(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def team(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Who is in the brand, the open invitations, and (for managers) the invite form."""
    brand = get_brand_for_user(request.user, slug, manage=request.method == "POST")
    if request.method == "POST":
        form = InvitationForm(request.POST, roles=brand.roles_grantable_by(request.user))
        if form.is_valid():
            try:
                invitation = flows.invite(brand, request.user, form.cleaned_data["email"], form.cleaned_data["role"])
            except FlowError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    f"Invitation sent to {invitation.email} as {invitation.get_role_display().lower()}. "
                    f"The link works once, for {flows.INVITATION_VALID_FOR.days} days.",
                )
                return redirect("integrations:team", slug=brand.slug)
        return render(request, "integrations/team.html", _team_context(request, brand, form), status=400)
    return render(request, "integrations/team.html", _team_context(request, brand))


def _invitation_action(
    request: AuthenticatedHttpRequest,
    slug: str,
    pk: int,
    action: Callable[[BrandInvitation, User], object],
    success: str,
) -> HttpResponse:
    brand = get_brand_for_user(request.user, slug, manage=True)
    invitation = get_for_brand_or_404(BrandInvitation.objects.all(), brand, pk=pk)
    try:
        action(invitation, request.user)
    except FlowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success.format(email=invitation.email))
    return redirect("integrations:team", slug=brand.slug)


@login_required
@require_POST
def resend_invitation(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _invitation_action(
        request, slug, pk, flows.resend, "Invitation sent again to {email}; the earlier link no longer works."
    )


@login_required
@require_POST
def cancel_invitation(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _invitation_action(request, slug, pk, flows.cancel, "Invitation to {email} cancelled.")


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: sign up or sign in as the invited address, then join in one click."""
    invitation = flows.find(token)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            brand = flows.accept(token, request.user)
        except FlowError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Welcome to {brand.name}.")
            return redirect("brand_home", slug=brand.slug)
    here = urlencode({"next": reverse("accept_invitation", args=[token])})
    return render(
        request,
        "integrations/accept_invitation.html",
        {
            "invitation": invitation,
            "problem": flows.problem_with(invitation, request.user),
            "signup_url": f"{reverse('account_signup')}?{here}",
            "login_url": f"{reverse('account_login')}?{here}",
        },
        status=200 if invitation is not None else 404,
    )

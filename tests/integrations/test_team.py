"""Self-serve brands: a new sign-up creates its brand, invites teammates with a role, and
they accept by a single-use, expiring link; staff still add people in Django admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from integrations.models import Brand, BrandInvitation, BrandMembership
from integrations.team import flows as team

pytestmark = pytest.mark.django_db

Role = BrandMembership.Role


def _invite(client, brand, email, role="member"):
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("integrations:team", args=[brand.slug]), {"email": email, "role": role})
    return response


def _link_in_last_mail() -> str:
    match = re.search(r"http://\S+/invitations/(\S+)/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return reverse("accept_invitation", args=[match.group(1)])


def test_a_new_sign_up_is_offered_to_create_a_brand_not_sent_to_an_owner(client, user_factory):
    client.force_login(user_factory(email="new@example.test"))
    page = client.get(reverse("home")).content.decode()
    assert "Create your brand" in page
    assert reverse("integrations:brand_create") in page


def test_creating_a_brand_makes_its_creator_the_owner_and_lands_on_its_home(client, user_factory):
    user = user_factory(email="founder@example.test")
    client.force_login(user)
    response = client.post(reverse("integrations:brand_create"), {"name": "Northwind"}, follow=True)
    brand = Brand.objects.get(name="Northwind")
    assert brand.role_of(user) == Role.OWNER
    assert response.redirect_chain[-1][0] == reverse("brand_home", args=[brand.slug])
    assert "you are its owner" in response.content.decode()


def test_a_second_brand_of_the_same_name_is_made_only_once_its_creator_confirms_it_and_its_address(
    client, user_factory
):
    user = user_factory(email="twice@example.test")
    client.force_login(user)
    client.post(reverse("integrations:brand_create"), {"name": "Northwind"})
    page = client.post(reverse("integrations:brand_create"), {"name": "northwind"}).content.decode()
    assert Brand.objects.filter(name__iexact="northwind").count() == 1
    assert "You already have a brand named “Northwind”" in page and 'href="/brands/northwind/"' in page
    assert "belongs to another brand" not in page  # it is theirs, and they were just told so
    assert 'name="slug" value="northwind-2"' in page
    assert "Create another brand named “Northwind”" in page
    response = client.post(
        reverse("integrations:brand_create"), {"name": "northwind", "slug": "northwind-emea", "confirmed": "True"}
    )
    assert response["Location"] == reverse("brand_home", args=["northwind-emea"])
    assert Brand.objects.get(slug="northwind-emea").role_of(user) == Role.OWNER


def test_a_name_whose_address_another_brand_holds_shows_the_address_it_would_get_without_naming_that_brand(
    client, user_factory, brand_factory
):
    brand_factory(name="Globex", owner=user_factory())
    client.force_login(user_factory())
    page = client.post(reverse("integrations:brand_create"), {"name": "Globex"}).content.decode()
    assert Brand.objects.filter(name="Globex").count() == 1
    assert "You already have" not in page
    assert "The address http://127.0.0.1:8000/brands/globex/ belongs to another brand" in page
    taken = client.post(reverse("integrations:brand_create"), {"name": "Globex", "slug": "globex", "confirmed": "True"})
    assert "The address /brands/globex/ is taken: choose another." in taken.content.decode()
    assert Brand.objects.filter(name="Globex").count() == 1
    made = client.post(
        reverse("integrations:brand_create"), {"name": "Globex", "slug": "globex-2", "confirmed": "True"}
    )
    assert made["Location"] == reverse("brand_home", args=["globex-2"])


def test_a_new_brand_is_told_its_address(client, user_factory):
    client.force_login(user_factory())
    page = client.post(reverse("integrations:brand_create"), {"name": "Initech"}, follow=True).content.decode()
    assert "Initech is ready at http://127.0.0.1:8000/brands/initech/" in page


def test_a_brand_without_a_name_is_refused_with_a_message(client, user_factory):
    client.force_login(user_factory())
    response = client.post(reverse("integrations:brand_create"), {"name": "  "})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Brand.objects.exists()


def test_an_owner_invites_by_email_and_the_invitee_joins_with_the_role_by_the_link(client, brand, alice, user_factory):
    client.force_login(alice)
    response = _invite(client, brand, "Dana@Example.test", "admin")
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["dana@example.test"]]
    assert "join a brand on aspire_tiktok as admin" in mail.outbox[0].body
    assert f"The brand's name, as its owner typed it: “{brand.name}”" in mail.outbox[0].body
    link = _link_in_last_mail()

    dana = user_factory(email="dana@example.test")
    client.force_login(dana)
    assert f"Join {brand.name}" in client.get(link).content.decode()
    response = client.post(link, follow=True)
    assert response.redirect_chain[-1][0] == reverse("brand_home", args=[brand.slug])
    assert brand.memberships.get(user=dana).role == Role.ADMIN


def test_the_link_works_once(client, brand, alice, user_factory):
    client.force_login(alice)
    _invite(client, brand, "eve@example.test")
    link = _link_in_last_mail()
    eve = user_factory(email="eve@example.test")
    client.force_login(eve)
    client.post(link)
    again = client.post(link)
    assert "already used" in again.content.decode()
    assert brand.memberships.filter(user=eve).count() == 1


def test_an_expired_link_is_refused_and_says_to_ask_for_a_new_one(client, brand, alice, user_factory):
    client.force_login(alice)
    _invite(client, brand, "late@example.test")
    link = _link_in_last_mail()
    late = user_factory(email="late@example.test")
    client.force_login(late)
    with time_machine.travel(timezone.now() + team.INVITATION_VALID_FOR + timedelta(minutes=1)):
        page = client.post(link).content.decode()
    assert "has expired" in page and "send it again" in page
    assert not brand.memberships.filter(user=late).exists()


def test_a_link_opened_by_another_address_does_not_let_them_in(client, brand, alice, charlie):
    client.force_login(alice)
    _invite(client, brand, "frank@example.test")
    link = _link_in_last_mail()
    client.force_login(charlie)
    page = client.post(link).content.decode()
    assert "This invitation is for frank@example.test" in page
    assert not brand.memberships.filter(user=charlie).exists()


def test_someone_signed_out_is_led_to_sign_up_or_sign_in_and_back(client, brand, alice):
    client.force_login(alice)
    _invite(client, brand, "gina@example.test")
    link = _link_in_last_mail()
    client.logout()
    page = client.get(link).content.decode()
    assert f"{reverse('account_signup')}?next={link.replace('/', '%2F')}" in page
    assert f"{reverse('account_login')}?next={link.replace('/', '%2F')}" in page


def test_signing_up_from_the_link_comes_back_to_the_invitation(client, brand, alice):
    client.force_login(alice)
    _invite(client, brand, "hana@example.test")
    link = _link_in_last_mail()
    client.logout()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"{reverse('account_signup')}?next={link}",
            {"email": "hana@example.test", "password1": "a-long-pass-phrase-1", "password2": "a-long-pass-phrase-1"},
        )
    assert response.status_code == 302 and response["Location"] == link
    # Until the address is confirmed, signing up as it proves nothing.
    assert "Confirm that hana@example.test is yours first" in client.post(link, follow=True).content.decode()
    confirm = re.search(r"http://\S+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    assert confirm, mail.outbox[-1].body
    client.post(confirm.group(1))
    client.post(link)
    assert brand.memberships.filter(user__email="hana@example.test", role=Role.MEMBER).exists()


def test_the_sign_up_page_from_an_invitation_is_filled_with_the_invited_address_and_keeps_it(client, brand, alice):
    client.force_login(alice)
    _invite(client, brand, "jade@example.test")
    link = _link_in_last_mail()
    client.logout()
    signup = f"{reverse('account_signup')}?next={link}"
    page = client.get(signup).content.decode()
    field = re.search(r'<input[^>]*name="email"[^>]*>', page)
    assert field and 'value="jade@example.test"' in field.group(0) and "readonly" in field.group(0)
    assert "Your invitation is for this address." in page
    answer = client.post(
        signup,
        {"email": "other@example.test", "password1": "a-long-pass-phrase-1", "password2": "a-long-pass-phrase-1"},
    )
    assert answer.status_code == 200
    assert "This invitation is for jade@example.test" in answer.content.decode()
    assert not BrandInvitation.objects.filter(email="other@example.test").exists()
    assert not get_user_model().objects.filter(email="other@example.test").exists()


def test_the_sign_in_page_from_an_invitation_is_filled_with_the_invited_address(client, brand, alice):
    client.force_login(alice)
    _invite(client, brand, "lee@example.test")
    link = _link_in_last_mail()
    client.logout()
    page = client.get(f"{reverse('account_login')}?next={link}").content.decode()
    field = re.search(r'<input[^>]*name="login"[^>]*>', page)
    assert field and 'value="lee@example.test"' in field.group(0)


def test_a_plain_sign_up_or_a_used_invitation_leaves_the_address_free(client, brand, alice):
    client.force_login(alice)
    _invite(client, brand, "kai@example.test")
    link = _link_in_last_mail()
    BrandInvitation.objects.filter(email="kai@example.test").update(cancelled_at=timezone.now())
    client.logout()
    for signup in (reverse("account_signup"), f"{reverse('account_signup')}?next={link}"):
        field = re.search(r'<input[^>]*name="email"[^>]*>', client.get(signup).content.decode())
        assert field and "readonly" not in field.group(0) and "kai@example.test" not in field.group(0)


def test_only_the_tokens_hash_is_stored(client, brand, alice):
    client.force_login(alice)
    _invite(client, brand, "ivy@example.test")
    token = _link_in_last_mail().rstrip("/").rsplit("/", 1)[1]
    stored = BrandInvitation.objects.get(email="ivy@example.test")
    assert token not in stored.token_hash and stored.token_hash == team.hash_invitation_token(token)


def test_sending_again_replaces_the_link(client, brand, alice, user_factory):
    client.force_login(alice)
    _invite(client, brand, "jo@example.test")
    old = _link_in_last_mail()
    invitation = BrandInvitation.objects.get(email="jo@example.test")
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("integrations:resend_invitation", args=[brand.slug, invitation.pk]))
    new = _link_in_last_mail()
    assert new != old
    client.force_login(user_factory(email="jo@example.test"))
    assert "not valid" in client.post(old).content.decode()
    client.post(new)
    assert brand.memberships.filter(user__email="jo@example.test").exists()


def test_a_cancelled_invitation_no_longer_lets_anyone_in(client, brand, alice, user_factory):
    client.force_login(alice)
    _invite(client, brand, "kim@example.test")
    link = _link_in_last_mail()
    invitation = BrandInvitation.objects.get(email="kim@example.test")
    client.post(reverse("integrations:cancel_invitation", args=[brand.slug, invitation.pk]))
    client.force_login(user_factory(email="kim@example.test"))
    assert "was cancelled" in client.post(link).content.decode()
    assert not brand.memberships.filter(user__email="kim@example.test").exists()


def test_a_member_cannot_invite_resend_or_cancel_404(client, brand, alice, bob):
    client.force_login(alice)
    _invite(client, brand, "lee@example.test")
    invitation = BrandInvitation.objects.get(email="lee@example.test")
    client.force_login(bob)  # a member
    assert _invite(client, brand, "mo@example.test").status_code == 404
    for name in ("integrations:resend_invitation", "integrations:cancel_invitation"):
        assert client.post(reverse(name, args=[brand.slug, invitation.pk])).status_code == 404
    assert not mail.outbox
    invitation.refresh_from_db()
    assert invitation.is_open
    page = client.get(reverse("integrations:team", args=[brand.slug])).content.decode()
    assert "lee@example.test" in page and "Send invitation" not in page


def test_an_admin_invites_admins_and_members_but_not_owners(client, brand, user_factory):
    admin = user_factory(email="admin@example.test")
    BrandMembership.objects.create(brand=brand, user=admin, role=Role.ADMIN)
    client.force_login(admin)
    response = _invite(client, brand, "boss@example.test", "owner")
    assert response.status_code == 400
    assert not BrandInvitation.objects.filter(email="boss@example.test").exists()
    assert _invite(client, brand, "helper@example.test", "admin").status_code == 302


def test_inviting_someone_already_in_the_brand_says_so(client, brand, alice, bob):
    client.force_login(alice)
    page = _invite(client, brand, bob.email).content.decode()
    assert "already in" in page
    assert not BrandInvitation.objects.exists()


def test_an_invitation_to_another_brand_is_404(client, brand, other_brand, alice, charlie):
    client.force_login(charlie)
    _invite(client, other_brand, "nia@example.test")
    foreign = BrandInvitation.objects.get(email="nia@example.test")
    client.force_login(alice)
    response = client.post(reverse("integrations:cancel_invitation", args=[brand.slug, foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_open


def test_the_team_page_costs_the_same_queries_with_more_people(
    client, brand, alice, user_factory, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("integrations:team", args=[brand.slug])

    def count() -> int:
        with django_assert_max_num_queries(50) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    team.invite(brand, alice, "first@example.test", Role.MEMBER)  # an empty list reads no page
    few = count()
    for n in range(6):
        BrandMembership.objects.create(brand=brand, user=user_factory(), role=Role.MEMBER)
        team.invite(brand, alice, f"more{n}@example.test", Role.MEMBER)
    assert count() == few


def test_a_sign_up_gets_their_email_as_username_so_admin_pickers_show_it(client):
    client.post(
        reverse("account_signup"),
        {"email": "Oli@Example.test", "password1": "a-long-pass-phrase-1", "password2": "a-long-pass-phrase-1"},
    )
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(email__iexact="oli@example.test")
    assert str(user).lower() == "oli@example.test"


def test_staff_add_a_person_to_a_brand_in_admin_with_an_email_picker(client, brand, user_factory):
    staff = user_factory(email="staff@example.test", is_staff=True, is_superuser=True)
    client.force_login(staff)
    person = user_factory(email="pat@example.test")
    answer = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "integrations", "model_name": "brandmembership", "field_name": "user", "term": "pat@"},
    ).json()
    assert [(r["id"], "pat@example.test" in r["text"]) for r in answer["results"]] == [(str(person.pk), True)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("admin:integrations_brand_change", args=[brand.pk]),
            {
                "name": brand.name,
                "slug": brand.slug,
                "memberships-TOTAL_FORMS": "1",
                "memberships-INITIAL_FORMS": "0",
                "memberships-0-user": str(person.pk),
                "memberships-0-role": "admin",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert brand.role_of(person) == Role.ADMIN


def test_staff_read_and_cancel_invitations_in_admin_without_ever_seeing_the_token(client, brand, alice, user_factory):
    client.force_login(alice)
    _invite(client, brand, "quinn@example.test")
    token = _link_in_last_mail().rstrip("/").rsplit("/", 1)[1]
    invitation = BrandInvitation.objects.get(email="quinn@example.test")
    client.force_login(user_factory(email="root@example.test", is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:integrations_brandinvitation_changelist")).content.decode()
    change = client.get(reverse("admin:integrations_brandinvitation_change", args=[invitation.pk])).content.decode()
    assert "quinn@example.test" in listing and "quinn@example.test" in change
    for page in (listing, change):
        assert token not in page and invitation.token_hash not in page
    client.post(
        reverse("admin:integrations_brandinvitation_changelist"),
        {"action": "cancel", "_selected_action": [str(invitation.pk)]},
    )
    invitation.refresh_from_db()
    assert not invitation.is_open


def test_an_invitee_who_signed_up_elsewhere_is_told_where_their_invitation_is(client, brand, alice, user_factory):
    client.force_login(alice)
    _invite(client, brand, "rae@example.test", "admin")
    client.force_login(user_factory(email="rae@example.test"))
    page = client.get(reverse("home")).content.decode()
    assert f"<strong>{brand.name}</strong> invited you as admin" in page
    assert "Open the link in the email sent to rae@example.test" in page


def test_an_address_too_long_to_store_is_a_form_error_not_a_500(client, brand, alice):
    client.force_login(alice)
    address = "a" * 64 + "@" + ("b" * 63 + ".") * 3 + "example.test"  # 269 characters, valid
    response = _invite(client, brand, address)
    assert response.status_code == 400
    assert "at most 254 characters" in response.content.decode()
    assert not BrandInvitation.objects.exists()


def test_an_admin_cannot_replace_the_owners_pending_owner_invitation(client, brand, alice, user_factory):
    client.force_login(alice)
    _invite(client, brand, "heir@example.test", "owner")
    admin = user_factory(email="admin@example.test")
    BrandMembership.objects.create(brand=brand, user=admin, role=Role.ADMIN)
    client.force_login(admin)
    response = _invite(client, brand, "heir@example.test", "admin")
    assert "open invitation as owner" in " ".join(str(m) for m in response.wsgi_request._messages)
    assert BrandInvitation.objects.get(email="heir@example.test").role == Role.OWNER
    assert mail.outbox == []


def test_an_unverified_address_does_not_match_an_invitation(client, brand, alice, user_factory):
    from allauth.account.models import EmailAddress

    client.force_login(alice)
    _invite(client, brand, "target@example.test")
    link = _link_in_last_mail()
    mallory = user_factory(email="mallory@example.test")
    EmailAddress.objects.create(user=mallory, email="mallory@example.test", verified=True, primary=False)
    # With optional verification, mallory adds the invited address and makes it primary.
    EmailAddress.objects.create(user=mallory, email="target@example.test", verified=False, primary=True)
    mallory.email = "target@example.test"
    mallory.save()

    assert team.waiting_for(mallory) == []
    client.force_login(mallory)
    assert "Acme" not in client.get(reverse("home")).content.decode()
    page = client.post(link, follow=True).content.decode()
    assert "Confirm that target@example.test is yours first" in page
    assert not brand.memberships.filter(user=mallory).exists()


def _said(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


def test_thirty_invitations_to_one_address_send_at_most_the_limit_of_mails_then_say_why(client, brand, alice, settings):
    settings.INVITATIONS_PER_ADDRESS_PER_DAY = 3
    client.force_login(alice)
    sent, refusals = 0, []
    for _ in range(30):
        response = _invite(client, brand, "victim@example.test")
        sent += len(mail.outbox)
        if "the most one address may get" in _said(response):
            refusals.append(response)
    assert sent == 3 and len(refusals) == 27


def test_a_brand_sends_at_most_its_daily_invitations(client, brand, alice, settings):
    settings.INVITATIONS_PER_BRAND_PER_DAY = 4
    client.force_login(alice)
    for n in range(4):
        _invite(client, brand, f"person{n}@example.test")
    response = _invite(client, brand, "person5@example.test")
    assert "sent 4 invitations in the last 24 hours" in _said(response) and mail.outbox == []
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        _invite(client, brand, "person5@example.test")
    assert [m.to for m in mail.outbox] == [["person5@example.test"]]


def test_an_account_creates_at_most_its_limit_of_brands(client, user_factory, settings):
    settings.BRANDS_PER_ACCOUNT = 2
    client.force_login(user_factory(email="founder@example.test"))
    for name in ("One", "Two"):
        client.post(reverse("integrations:brand_create"), {"name": name})
    response = client.post(reverse("integrations:brand_create"), {"name": "Three"})
    assert response.status_code == 400 and "the most one account may create" in response.content.decode()
    assert sorted(Brand.objects.values_list("name", flat=True)) == ["One", "Two"]


def test_an_invitation_mail_keeps_the_brands_name_out_of_the_subject_and_quotes_it(client, alice, brand_factory):
    lure = "Your account is locked - verify at http://evil.example/login"
    brand = brand_factory(name=lure, owner=alice)
    client.force_login(alice)
    _invite(client, brand, "victim@example.test")
    assert lure not in mail.outbox[0].subject
    assert f"“{lure}”" in mail.outbox[0].body

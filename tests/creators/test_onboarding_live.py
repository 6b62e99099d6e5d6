"""Every Marketplace state and transition, against the live sandbox with its clock advanced."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection

from creators.models import MarketplaceOnboarding
from creators.tasks import poll_onboarding
from integrations.models import Credential

from .conftest import onboarding_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
State = MarketplaceOnboarding.State


@pytest.fixture
def creator(user_factory):
    return user_factory(email="dana@example.test")


def poll(account, capture) -> str:
    """Run the poll task synchronously (as a worker would) once the row is due."""
    MarketplaceOnboarding.objects.filter(tiktok_account=account).update(next_poll_at=None)
    ob = onboarding_of(account)
    MarketplaceOnboarding.objects.filter(pk=ob.pk).update(next_poll_at=ob.state_changed_at)
    with capture(execute=True):
        poll_onboarding(ob.pk)
    return onboarding_of(account).state


def test_authorize_tiktok_stores_the_account_and_an_encrypted_credential(
    client_for, creator, authorize_tiktok, internal_tto
):
    client = client_for(creator)
    response, account = authorize_tiktok(client, "demo.creator")
    assert response.status_code == 302
    assert account.owner == creator and account.creator_id == "7500000000000000001"
    assert account.follower_count == 52000 and account.display_name
    cred = account.credential
    assert cred.kind == Credential.Kind.TT_USER and cred.status == Credential.Status.OK
    assert cred.access_expires_at and cred.refresh_expires_at and cred.refresh_due_at
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM integrations_credential WHERE id = %s", [cred.pk])
        raw = cursor.fetchone()[0]
    assert cred.access_token not in raw  # encrypted at rest
    assert hasattr(creator, "creator_profile")
    assert onboarding_of(account).state == State.AUTHORIZED


def test_demo_creator_goes_from_invite_to_the_marketplace(
    client_for, creator, authorize_tiktok, internal_tto, advance, sandbox_api, django_capture_on_commit_callbacks
):
    client = client_for(creator)
    _, account = authorize_tiktok(client, "demo.creator")
    assert poll(account, django_capture_on_commit_callbacks) == State.WAITING
    ob = onboarding_of(account)
    assert ob.tiktok_status == "NOT_IN" and ob.invite_requested_at and ob.eligibility_checked_at
    assert "Inbox > Monetization" in mail.outbox[-1].body
    assert sandbox_api("helpers/invites/accept", {"handle": "demo.creator"}).status_code == 409  # not delivered yet

    advance(3)
    assert poll(account, django_capture_on_commit_callbacks) == State.WAITING  # INVITED, within 24 h
    assert sandbox_api("helpers/invites/accept", {"handle": "demo.creator"}).status_code == 200
    page = client.post(f"/creator/accounts/{account.pk}/accepted/", follow=True)
    assert "2+ hours" in page.content.decode()
    assert onboarding_of(account).state == State.PROCESSING

    advance(1)
    assert poll(account, django_capture_on_commit_callbacks) == State.PROCESSING  # still INVITED
    advance(1.5)
    sent = len(mail.outbox)
    assert poll(account, django_capture_on_commit_callbacks) == State.IN_MARKETPLACE
    ob = onboarding_of(account)
    assert ob.joined_at and ob.accepted_at and ob.tiktok_status == "IN"
    assert len(mail.outbox) == sent + 1 and "Creator Marketplace" in mail.outbox[-1].subject
    html = client.get("/creator/").content.decode()
    assert "In the Creator Marketplace" in html and 'class="steps"' in html


def test_young_creator_is_told_what_to_do_after_24_hours_and_can_ask_again(
    client_for, creator, authorize_tiktok, internal_tto, advance, sandbox_api, django_capture_on_commit_callbacks
):
    client = client_for(creator)
    _, account = authorize_tiktok(client, "young.creator")
    assert poll(account, django_capture_on_commit_callbacks) == State.WAITING
    advance(24.1)
    assert sandbox_api("helpers/invites/accept", {"handle": "young.creator"}).status_code == 409  # never arrives
    assert poll(account, django_capture_on_commit_callbacks) == State.OVERDUE
    assert "age is verified" in mail.outbox[-1].body
    html = client.get("/creator/").content.decode()
    assert "Check that your age is verified" in html and "Authorize TikTok again" in html

    authorize_tiktok(client, "young.creator")  # authorize again: another invite is requested
    assert onboarding_of(account).state == State.AUTHORIZED
    assert poll(account, django_capture_on_commit_callbacks) == State.WAITING
    assert MarketplaceOnboarding.objects.filter(tiktok_account__handle="young.creator").count() == 1


@pytest.mark.parametrize(
    ("handle", "check"),
    [("small.creator", "followers"), ("brand.business", "account_type")],
)
def test_ineligible_creators_learn_which_check_failed_and_what_to_do(
    client_for, creator, authorize_tiktok, internal_tto, django_capture_on_commit_callbacks, handle, check
):
    client = client_for(creator)
    _, account = authorize_tiktok(client, handle)
    assert poll(account, django_capture_on_commit_callbacks) == State.NOT_ELIGIBLE
    reasons = onboarding_of(account).ineligible_reasons
    assert [r["check"] for r in reasons] == [check]
    html = client.get("/creator/").content.decode()
    assert reasons[0]["fix"].split(",")[0] in html.replace("&gt;", ">")


def test_an_account_in_the_marketplace_already_lands_there_at_once(
    client_for, creator, authorize_tiktok, internal_tto, django_capture_on_commit_callbacks
):
    _, account = authorize_tiktok(client_for(creator), "market.star")
    assert poll(account, django_capture_on_commit_callbacks) == State.IN_MARKETPLACE

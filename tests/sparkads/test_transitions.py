"""The ledger as a state machine, table-driven: every status against every action. An action a
status does not allow changes nothing and the row says why; one it allows moves the row."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from integrations.tiktok import clock
from sparkads.models import SparkAuthorization

pytestmark = pytest.mark.django_db
Status = SparkAuthorization.Status

# Each action's transition method, as the flows call it once TikTok has answered.
METHODS = {
    "approve": lambda row, user: row.approve("CODE-NEW"),
    "reject": lambda row, user: row.reject(),
    "fail": lambda row, user: row.fail("Not sent"),
    "hold": lambda row, user: row.hold(),
    "mark_paid": lambda row, user: row.mark_paid(user),
    "apply": lambda row, user: row.apply(user, ""),
    "extend_propose": lambda row, user: row.propose_extension(),
    "extend_accept": lambda row, user: row.accept_extension(row.auth_end + timedelta(days=30)),
    "unbind": lambda row, user: row.end("unbind", user, "Unbound from the ad account"),
    "revoke": lambda row, user: row.end("revoke", user, "The creator revoked the authorization here"),
    "expire": lambda row, user: row.expire("The window ended"),
    "advance": lambda row, user: row.advance(),
}


def test_every_action_has_a_transition_method_but_the_decline_which_changes_only_the_proposal():
    assert set(SparkAuthorization.TRANSITIONS) - set(METHODS) == {"extend_decline"}


def _row(world, status: str) -> SparkAuthorization:
    now = clock.now()
    row = SparkAuthorization.objects.create(
        brand=world["bc"].brand,
        post=world["post"],
        video_id=world["post"].video_id,
        status=status,
        ad_account=world["ad"],
        tiktok_account=world["account"],
        item_id=world["post"].video_id,
        auth_start=now - timedelta(days=1),
        auth_end=now + timedelta(days=29),
        applied_at=now - timedelta(days=1),
        fee_amount=Decimal("100.00"),
        fee_currency="USD",
        payment_status=SparkAuthorization.Payment.UNPAID,
    )
    row.set_code("CODE-OLD")
    row.save()
    return row


@pytest.mark.parametrize("action", sorted(METHODS))
@pytest.mark.parametrize("status", Status.values)
def test_a_forbidden_action_changes_nothing_and_says_why_and_an_allowed_one_moves_the_row(world, alice, status, action):
    row = _row(world, status)
    before = model_to_dict(SparkAuthorization.objects.get(pk=row.pk))
    moved = METHODS[action](row, alice)
    after = model_to_dict(SparkAuthorization.objects.get(pk=row.pk))
    if status in SparkAuthorization.TRANSITIONS[action]:
        assert moved is True
        assert after != before
        return
    assert moved is False
    assert after == before
    row.refresh_from_db()
    assert row.refusal(action) == (
        f"Not possible now: the authorization of {row.post_name} is {row.get_status_display().lower()}."
    )

"""Business Center members are linked to platform users only through verified addresses."""

from __future__ import annotations

import pytest
import responses
from allauth.account.models import EmailAddress

from integrations.models import BusinessCenter
from sparkads.business_center import flows as bcflows

pytestmark = pytest.mark.django_db
BC_ADMIN_EMAIL = "bc-admin@acme.test"


def _members_on_tiktok(settings, rsps):
    rsps.get(
        f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/bc/member/get/",
        json={
            "code": 0,
            "message": "OK",
            "request_id": "req-1",
            "data": {
                "list": [
                    {
                        "user_id": "6900000000000000001",
                        "user_name": "BC Admin",
                        "user_email": BC_ADMIN_EMAIL,
                        "user_role": "ADMIN",
                        "relation_status": "BOUND",
                    }
                ],
                "page_info": {"page": 1, "page_size": 20, "total_number": 1, "total_page": 1},
            },
        },
    )


def test_a_member_who_adds_the_bc_admins_address_unverified_does_not_become_bc_admin(world, bob, settings):
    bob.email = BC_ADMIN_EMAIL  # what an unverified primary address sets
    bob.save()
    EmailAddress.objects.create(user=bob, email=BC_ADMIN_EMAIL, verified=False, primary=True)
    with responses.RequestsMock() as rsps:
        _members_on_tiktok(settings, rsps)
        bcflows.sync_members(world["bc"])
    admin = world["bc"].members.get(tiktok_user_id="6900000000000000001")
    assert admin.role == BusinessCenter.Role.ADMIN
    assert admin.user is None
    assert bcflows.member_for(bob, world["bc"]) is None


def test_a_member_with_the_bc_admins_address_verified_is_linked(world, bob, settings):
    EmailAddress.objects.create(user=bob, email=BC_ADMIN_EMAIL.upper(), verified=True, primary=False)
    with responses.RequestsMock() as rsps:
        _members_on_tiktok(settings, rsps)
        bcflows.sync_members(world["bc"])
    assert bcflows.member_for(bob, world["bc"]).role == BusinessCenter.Role.ADMIN


def test_a_verified_address_of_someone_outside_the_brand_links_nobody(world, charlie, other_brand, settings):
    EmailAddress.objects.create(user=charlie, email=BC_ADMIN_EMAIL, verified=True, primary=True)
    with responses.RequestsMock() as rsps:
        _members_on_tiktok(settings, rsps)
        bcflows.sync_members(world["bc"])
    assert world["bc"].members.get().user is None

"""Concurrent pollers for one creator send one invite and one email (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection, connections

from creators import marketplace
from creators.models import MarketplaceOnboarding
from creators.tasks import poll_onboarding

from .conftest import onboarding_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
WORKERS = 6


def run_together(target) -> list:
    barrier = threading.Barrier(WORKERS)
    results: list = []

    def worker():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level concurrency needs PostgreSQL")
@pytest.mark.parametrize("entry", ["task", "invite_step"])
def test_concurrent_pollers_send_one_invite_and_one_email(
    client_for, user_factory, authorize_tiktok, internal_tto, sandbox_api, entry
):
    _, account = authorize_tiktok(client_for(user_factory()), "demo.creator")
    ob = onboarding_of(account)
    sandbox_api("requests", method="delete")
    mail.outbox.clear()
    if entry == "task":
        results = run_together(lambda: poll_onboarding(ob.pk))
    else:
        # Past the claim (as if two claims raced): the state transition still lets one through.
        results = run_together(lambda: marketplace.request_invite(onboarding_of(account), internal_tto))
    assert not [r for r in results if isinstance(r, Exception)], results
    invites = sandbox_api("requests?path=/open_api/v1.3/tcm/creator/invite/&limit=100", method="get").json()
    invites = invites if isinstance(invites, list) else invites.get("requests", [])
    assert len([r for r in invites if "tcm/creator/invite" in r.get("path", "")]) == 1
    assert len(mail.outbox) == 1
    assert onboarding_of(account).state == MarketplaceOnboarding.State.WAITING

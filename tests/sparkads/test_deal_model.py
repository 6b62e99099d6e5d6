"""A model of the deal, proven against the live sandbox over HTTP: Hypothesis drives random
sequences of what the brand, the creator and time do to one campaign post's Spark codes, and
after every step checks what must always hold: no TikTok write without a person's intent (or
the approval that asked for it), never more than one write per intent, a code on every
approved or live row, the row's window equal to TikTok's, fees paid only for codes that were
or are live, and every reminder mailed once per mark.

Each example starts from the sandbox's seeded world and a fresh ledger, with the creator
connected here and one deal already made: requested by the brand, approved (in TikTok or here)
and applied at the next beat, so every example, however short, goes through the one apply path
before its random steps. Examples and steps come from settings (DEAL_MODEL_EXAMPLES,
DEAL_MODEL_STEPS): a few in `make test`, more in `make test-deal-long`. The rules are grouped by
who acts; the extension agreement (the brand proposes, the creator accepts or declines) is
checked like the rest: no `business/post/authorize/` write without an accepted proposal, and
never more than one per acceptance.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings
from django.core import mail as django_mail
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from integrations.errors import FlowError
from integrations.polling import POLLERS
from integrations.tiktok import BusinessClient, TikTokError, clock
from sparkads import creator_codes, flows, renewal, tasks, terms
from sparkads.models import ExtensionProposal, SparkAuthorization, SparkReminder, UsageTerms
from tests.sparkads.conftest import ADVERTISER_ID, CAMPAIGN_ID, REDIRECT, TTO_ID, make_world
from tests.sparkads.test_creator_codes_live import authorize
from tiktok_sandbox.testing import link_statuses

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
Status = SparkAuthorization.Status
API = "/open_api/v1.3/"
Proposal = ExtensionProposal.Status
HAS_CODE = {Status.APPROVED, Status.ACTIVE, Status.EXPIRING}
# The dispatchers beat runs for the deal: its requests and codes, its deadlines on TikTok's
# clock, and lost jobs. (Campaign insights and the rest have no part in the deal and cost
# a TikTok report per beat.)
DEAL_POLLERS = ("spark", "spark_deadlines", "jobs")


class DealModel(RuleBasedStateMachine):
    # Set by the test: the sandbox, the brand manager, the creator and their browser, and
    # Django's on-commit capture.
    sandbox: str
    alice: Any
    creator: Any
    creator_client: Any
    brand: Any
    capture: Any
    # Steps checked (each rule, and each example's start), over all examples.
    steps = 0

    def control(self, method: str, path: str, body: dict | None = None) -> Any:
        answer = requests.request(method, f"{self.sandbox}/sandbox/api/{path}", json=body, timeout=60)
        answer.raise_for_status()
        return answer.json()

    def writes(self, path: str) -> int:
        """Calls TikTok received on exactly `path` (the log's filter matches a substring, and
        business/post/authorize/ is also the start of its setting, status and delete paths)."""
        rows = self.control("GET", f"requests?limit=1000&path={API}{path}")
        rows = rows.get("requests", rows) if isinstance(rows, dict) else rows
        return sum(1 for row in rows if row["path"] == f"{API}{path}")

    @initialize(
        days=st.sampled_from([7, 30, 60]),
        fee=st.sampled_from([None, Decimal("100")]),
        here=st.booleans(),
    )
    def a_deal_is_made_in_a_fresh_world(self, days: int, fee: Decimal | None, here: bool) -> None:
        self.control("POST", "reset", {})
        self.control("DELETE", "rate-limits")
        self.control("DELETE", "rate-limits/app")
        clock.forget()
        self.savepoint = transaction.savepoint_create()
        code = self.control("POST", "helpers/portal-auth", {"persona": "demo-brand", "redirect_uri": REDIRECT})
        token = BusinessClient().oauth2_access_token(code["auth_code"]).access_token
        links = link_statuses(django_settings.TIKTOK_BUSINESS_API_BASE_URL, token, TTO_ID, CAMPAIGN_ID)
        video_id = next(str(r["video_id"]) for r in links if r["status"] == "APPROVE")
        self.world = make_world(self.brand, token, video_id=video_id)
        self.world["account"].owner = self.creator
        self.world["account"].save()
        self.post = self.world["post"]
        authorize(self.control, self.creator_client, self.world["account"].handle)
        self.intents: Counter[str] = Counter()
        self.outbox_start = len(django_mail.outbox)
        self.brand_requests(days, fee)
        if here:
            self.creator_approves_here()
        else:
            self.creator_approves_in_tiktok(days)

    def teardown(self) -> None:
        if hasattr(self, "savepoint"):
            transaction.savepoint_rollback(self.savepoint)

    def rows(self) -> list[SparkAuthorization]:
        return list(SparkAuthorization.objects.filter(brand=self.brand))

    def open_request(self) -> SparkAuthorization | None:
        return SparkAuthorization.objects.filter(brand=self.brand, status=Status.REQUESTED).first()

    def tick(self) -> None:
        """One beat of every dispatcher, its tasks run here when it commits."""
        with self.capture(execute=True):
            for key in DEAL_POLLERS:
                POLLERS[key].dispatcher()
        event("statuses: " + ", ".join(sorted({r.status for r in self.rows()})))

    # --- the brand ----------------------------------------------------------------------------

    @rule(days=st.sampled_from([7, 30, 60]), fee=st.sampled_from([None, Decimal("100")]))
    def brand_requests(self, days: int, fee: Decimal | None) -> None:
        self.intents["apply"] += 1
        try:
            flows.request_permission(self.post, self.alice, days, UsageTerms(fee, "USD" if fee else ""))
        except FlowError:
            pass

    @rule(on=st.booleans())
    def brand_sets_release_after_payment(self, on: bool) -> None:
        terms.set_release_after_payment(self.brand, self.alice, on)
        self.brand.refresh_from_db()

    @precondition(lambda self: any(r.allows("mark_paid") for r in self.rows()))
    @rule(data=st.data())
    def brand_marks_paid(self, data: st.DataObject) -> None:
        auth = data.draw(st.sampled_from([r for r in self.rows() if r.allows("mark_paid")]))
        self.intents["pay"] += 1
        with self.capture(execute=True):
            terms.mark_paid(auth, self.alice)

    @precondition(lambda self: any(r.allows("unbind") for r in self.rows()))
    @rule(data=st.data())
    def brand_unbinds(self, data: st.DataObject) -> None:
        auth = data.draw(st.sampled_from([r for r in self.rows() if r.allows("unbind")]))
        self.intents["unbind"] += 1
        try:
            flows.unbind(auth, self.alice)
        except FlowError:
            pass

    @precondition(lambda self: any(r.allows("extend_propose") for r in self.rows()))
    @rule(data=st.data(), days=st.sampled_from([7, 30]), fee=st.sampled_from([None, Decimal("20")]))
    def brand_extends(self, data: st.DataObject, days: int, fee: Decimal | None) -> None:
        """Extend: a proposal to the creator for a code made here, TikTok's EXTEND request for a
        requested one."""
        auth = data.draw(st.sampled_from([r for r in self.rows() if r.allows("extend_propose")]))
        if auth.source != SparkAuthorization.Source.CREATOR:
            self.intents["apply"] += 1
        try:
            renewal.extend(auth, self.alice, days, UsageTerms(fee, "USD" if fee else ""))
        except FlowError:
            pass

    # --- the creator, here ----------------------------------------------------------------------

    @precondition(lambda self: self.open_request() is not None)
    @rule()
    def creator_approves_here(self) -> None:
        request = self.open_request()
        assert request is not None
        self.intents["setting"] += 1
        try:
            with self.capture(execute=True):  # the apply task runs once the click commits
                creator_codes.approve(request, self.creator)
        except FlowError:
            return
        self.intents["approved"] += 1

    def open_proposal(self) -> ExtensionProposal | None:
        return ExtensionProposal.objects.filter(authorization__brand=self.brand, status=Proposal.PROPOSED).first()

    @precondition(lambda self: self.open_proposal() is not None)
    @rule(clicks=st.sampled_from([1, 2]))
    def creator_accepts(self, clicks: int) -> None:
        """Accept, once or with a double click: one acceptance, one write."""
        proposal = self.open_proposal()
        assert proposal is not None
        for _ in range(clicks):
            try:
                renewal.accept(proposal, self.creator)
            except FlowError:
                pass

    @precondition(lambda self: self.open_proposal() is not None)
    @rule()
    def creator_declines(self) -> None:
        proposal = self.open_proposal()
        assert proposal is not None
        try:
            renewal.decline(proposal, self.creator)
        except FlowError:
            pass

    # --- the creator, on TikTok ---------------------------------------------------------------

    @precondition(lambda self: self.open_request() is not None)
    @rule(days=st.sampled_from([7, 30, 60]))
    def creator_approves_in_tiktok(self, days: int) -> None:
        request = self.open_request()
        assert request is not None
        try:
            self.control("POST", "helpers/spark/approve", {"video_id": self.post.video_id, "days": days})
        except requests.HTTPError:
            return  # nothing waiting on TikTok's side (the request was not sent)
        self.intents["approved"] += 1
        # The request's poller reads the answer (its real-time schedule does not pass here),
        # and the next beat applies the code.
        with self.capture(execute=True):
            tasks.poll_spark_request(request.pk)
        self.tick()

    @precondition(lambda self: self.open_request() is not None)
    @rule()
    def creator_declines_in_tiktok(self) -> None:
        try:
            self.control("POST", "helpers/spark/reject", {"video_id": self.post.video_id})
        except requests.HTTPError:
            pass

    # --- time ---------------------------------------------------------------------------------

    @rule(days=st.sampled_from([0.01, 1, 14, 16, 31, 61]))
    def time_passes(self, days: float) -> None:
        self.control("POST", "clock/advance", {"hours": 24 * days})
        clock.forget()
        self.tick()

    @rule()
    def dispatchers_tick(self) -> None:
        self.tick()

    # --- what must always hold ----------------------------------------------------------------

    @invariant()
    def no_write_without_intent_and_one_per_intent(self) -> None:
        type(self).steps += 1
        if not hasattr(self, "intents"):
            return
        assert self.writes("tcm/tt_video/apply/") <= self.intents["apply"]
        assert self.writes("business/post/authorize/setting/") <= self.intents["setting"]
        # One apply per code TikTok gave (the approval asked for it, or payment released it).
        assert self.writes("tt_video/authorize/") <= self.intents["approved"]
        applied = sum(1 for r in self.rows() if r.applied_at is not None)
        assert self.writes("tt_video/unbind/") <= min(applied, self.intents["unbind"] + applied)

    @invariant()
    def no_extension_without_an_accepted_proposal_and_one_per_acceptance(self) -> None:
        if not hasattr(self, "intents"):
            return
        extensions = self.writes("business/post/authorize/")
        accepted = ExtensionProposal.objects.filter(authorization__brand=self.brand, status=Proposal.ACCEPTED)
        assert extensions <= accepted.count()

    @invariant()
    def every_approved_or_live_row_has_a_code_and_paid_fees_are_for_codes(self) -> None:
        if not hasattr(self, "intents"):
            return
        for row in self.rows():
            if row.status in HAS_CODE:
                assert row.code_hash and row.auth_code, row
            if row.payment_status == SparkAuthorization.Payment.PAID:
                # A code that was live may since have moved to a newer row for the same post
                # (TikTok answers the post's live code): its row keeps the applied time.
                assert row.code_hash or row.applied_at, row

    @invariant()
    def a_live_rows_window_is_tiktoks(self) -> None:
        if not hasattr(self, "intents"):
            return
        client = BusinessClient(self.world["cred"].access_token)
        for row in self.rows():
            if row.status in (Status.ACTIVE, Status.EXPIRING) and row.pending_write == "":
                try:
                    info = client.tt_video_info(ADVERTISER_ID, row.auth_code)
                except TikTokError:
                    continue  # TikTok no longer shows the code (ended or deleted): nothing to compare
                end = flows.parse_tiktok_time(info.get("auth_info", {}).get("auth_end_time"))
                assert end is None or end == row.auth_end, (row, info)

    @invariant()
    def each_reminder_is_mailed_once_per_mark(self) -> None:
        """A reminder mail goes with a new receipt (one per row, mark and recipient), never
        without one: the creator's mails are at most the creator's receipts."""
        if not hasattr(self, "intents"):
            return
        mails = [
            m
            for m in django_mail.outbox[self.outbox_start :]
            if m.subject.startswith("Spark Ads authorization") and "ends" in m.subject and m.to == [self.creator.email]
        ]
        receipts = SparkReminder.objects.filter(authorization__brand=self.brand, recipient="creator").count()
        assert len(mails) <= receipts, [m.subject for m in mails]


@pytest.fixture
def deal_model(
    live_sandbox, brand, alice, user_factory, client_for, django_capture_on_commit_callbacks, monkeypatch, settings
):
    from aspire_tiktok.celery import app

    settings.TIKTOK_SANDBOX = True
    settings.SANDBOX_URL = live_sandbox
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    DealModel.sandbox = live_sandbox
    DealModel.alice = alice
    DealModel.brand = brand
    DealModel.creator = user_factory(email="creator@example.test")
    DealModel.creator_client = client_for(DealModel.creator)
    DealModel.steps = 0
    DealModel.capture = django_capture_on_commit_callbacks
    yield DealModel
    clock.forget()


# Over HTTP each step takes about a second: the long profile needs hours, not pytest's 300 s.
@pytest.mark.timeout(0)
def test_the_deal_holds_its_invariants_under_random_sequences_of_what_people_and_time_do(deal_model):
    run_state_machine_as_test(
        deal_model,
        settings=settings(
            max_examples=django_settings.DEAL_MODEL_EXAMPLES,
            stateful_step_count=django_settings.DEAL_MODEL_STEPS,
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )
    print(f"The model of the deal checked its invariants after {DealModel.steps} steps.")

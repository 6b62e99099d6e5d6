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

Workers die: an apply or a bulk job may lose its worker right after TikTok answered and before
anything of the answer is recorded (`WorkerKilled`, which no handler sees), and the work is
taken over as in production once the dead worker's leases run out. The creator revokes, on
their Spark Ads page or in TikTok's own screens. And the brand's ledger, under whatever filters
it last chose, lists the same rows with the same statuses and terms as its CSV.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import pytest
import requests
from django.conf import settings as django_settings
from django.core import mail as django_mail
from django.db import transaction
from django.db.models import F
from django.test import Client
from django.urls import reverse
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

from integrations import jobs
from integrations.errors import FlowError
from integrations.models import BackgroundJob
from integrations.models.jobs import UNFINISHED
from integrations.polling import POLLERS
from integrations.tiktok import BusinessClient, TikTokError, clock
from sparkads import bulk, creator_codes, flows, renewal, tasks, terms
from sparkads.forms import SORT_AT_RISK
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
# The TikTok writes each kind of intent may cause, at most once per intent.
WRITES = {
    "apply": "tcm/tt_video/apply/",
    "setting": "business/post/authorize/setting/",
    "approved": "tt_video/authorize/",
    "revoke": "business/post/authorize/delete/",
}


class WorkerKilled(BaseException):
    """The worker's process ends at this line (SIGKILL, a lost machine): nothing after it runs,
    no `except Exception` sees it, and the leases it held stay until they run out."""


class LedgerTable(HTMLParser):
    """The ledger fragment's rows as the page shows them: per row, each cell's lines (a <br>
    starts a line), and the link to the next page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[list[str]]] = []
        self.next_page = ""
        self._row: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._depth = 0  # <tbody> nesting

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tbody":
            self._depth += 1
        elif tag == "tr" and self._depth and "spark-ads-of" not in (found.get("class") or ""):
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")
        elif tag == "a" and found.get("rel") == "next":
            self.next_page = found.get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._depth -= 1
        elif tag == "td" and self._row is not None and self._cell is not None:
            lines = ("".join(self._cell)).split("\n")
            self._row.append([line for line in (" ".join(part.split()) for part in lines) if line])
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if len(self._row) > 1:  # not the "nothing matches" row
                self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data.replace("\n", " "))


def shown(cells: list[list[str]]) -> dict[str, str]:
    """What a ledger row on the page says, in the CSV's terms."""
    post, creator, status, terms_, window, ad_account, _ads, who = cells[:8]
    paid = next((line for line in terms_[1:] if line.startswith("paid ")), "")
    return {
        "source": post[-1],
        "creator": creator[0] if creator else "",
        "status": status[0],
        "terms": terms_[0],
        "paid": paid.split(" by ")[0],
        "window": window[0].split(" (")[0],
        "ad account": ad_account[0],
        "added": who[0],
    }


def exported(row: dict[str, str]) -> dict[str, str]:
    """What a CSV row says, as the page would show it (SparkAuthorization.terms_summary)."""
    fee = f"{Decimal(row['fee']):,.2f} {row['currency']}".strip() if row["fee"] else "No fee"
    terms_ = [f"{row['duration (days)']} days", fee]
    if row["payment"] != "No fee":
        terms_.append(row["payment"].lower())
    start, end = row["start (UTC)"][:10], row["end (UTC)"][:10]
    if start and end:
        terms_.append(f"{start} → {end}")
    elif end:
        terms_.append(f"until {end}")
    return {
        "source": row["source"],
        "creator": f"@{row['creator']}" if row["creator"] else "",
        "status": row["status"],
        "terms": " · ".join(terms_),
        "paid": f"paid {row['paid at (UTC)'][:10]}" if row["paid at (UTC)"] else "",
        "window": f"{start} → {end}".strip() if end else f"{row['duration (days)']} days asked",
        "ad account": row["ad account"] or "—",
        "added": f"{row['requested or pasted']} {row['at (UTC)'][:10]}" + (f" by {row['by']}" if row["by"] else ""),
    }


class DealModel(RuleBasedStateMachine):
    # Set by the test: the sandbox, the brand manager, the creator and their browser, and
    # Django's on-commit capture.
    sandbox: str
    alice: Any
    creator: Any
    creator_client: Any
    brand: Any
    capture: Any
    brand_client: Client
    # Steps checked (each rule, and each example's start), over all examples.
    steps = 0

    def control(self, method: str, path: str, body: dict | None = None) -> Any:
        answer = requests.request(method, f"{self.sandbox}/sandbox/api/{path}", json=body, timeout=60)
        answer.raise_for_status()
        return answer.json()

    def read_log(self) -> None:
        """Count the calls TikTok received since the log was last read."""
        while True:
            rows = self.control("GET", f"requests?limit=1000&after={self.log_seen}")
            rows = rows.get("requests", rows) if isinstance(rows, dict) else rows
            self.calls.update(row["path"] for row in rows)
            self.log_seen = max([self.log_seen, *(row["id"] for row in rows)])
            if len(rows) < 1000:
                return

    def writes(self, path: str) -> int:
        """Calls TikTok received on exactly `path` (business/post/authorize/ is also the start of
        its setting, status and delete paths), as of the last read of the log."""
        return self.calls[f"{API}{path}"]

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
        self.calls: Counter[str] = Counter()
        self.log_seen = 0
        self.filters: dict[str, str] = {}
        self.revoked: set[int] = set()
        # The proposals the creator accepted: TikTok may still refuse one (the code was
        # deleted in the app meanwhile), and then it is not recorded accepted.
        self.accepted: set[int] = set()
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

    @contextmanager
    def worker_may_die_after(self, target: Any, name: str, dies: bool) -> Iterator[None]:
        """With `dies`, the worker running the block dies as soon as `target.name` returns: its
        TikTok call was answered, nothing of the answer recorded. Another worker then takes the
        work over, as in production: the dead worker's leases run out and the next beat hands it
        on."""
        if not dies:
            yield
            return
        original = getattr(target, name)

        def then_die(*args: Any, **kwargs: Any) -> Any:
            original(*args, **kwargs)
            raise WorkerKilled

        try:
            with mock.patch.object(target, name, then_die):
                yield
        except WorkerKilled:
            event(f"a worker died after {name}")
            self.leases_run_out()
            self.tick()

    def leases_run_out(self) -> None:
        """What real time does to a dead worker's claims: each outlives its lease. Only the
        leases move; TikTok's clock and the rows' schedules stay where they are."""
        stale = SparkAuthorization.CLAIM_STALE_AFTER + timedelta(seconds=1)
        rows = SparkAuthorization.objects.filter(brand=self.brand)
        rows.exclude(apply_claimed_at=None).update(apply_claimed_at=F("apply_claimed_at") - stale)
        rows.exclude(pending_since=None).update(pending_since=F("pending_since") - stale)
        BackgroundJob.objects.filter(brand=self.brand).exclude(alive_until=None).update(
            alive_until=F("alive_until") - jobs.RUN_TIME_LIMIT - timedelta(seconds=1)
        )

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
    @rule(data=st.data(), worker_dies=st.booleans())
    def brand_marks_paid(self, data: st.DataObject, worker_dies: bool) -> None:
        """Mark paid; a code held for the payment is applied now, and the process applying it
        may die once TikTok has applied it."""
        auth = data.draw(st.sampled_from([r for r in self.rows() if r.allows("mark_paid")]))
        self.intents["pay"] += 1
        with self.worker_may_die_after(flows, "_authorize_once", worker_dies), self.capture(execute=True):
            terms.mark_paid(auth, self.alice)

    @rule(
        days=st.sampled_from([7, 30, 60]),
        fee=st.sampled_from([None, Decimal("100")]),
        worker_dies=st.booleans(),
    )
    def brand_requests_in_bulk(self, days: int, fee: Decimal | None, worker_dies: bool) -> None:
        """Codes for every post of the campaign, as a background job, whose worker may die right
        after TikTok took a post's request."""
        self.intents["apply"] += bulk.campaign_posts(self.world["campaign"]).count()
        with self.worker_may_die_after(bulk, "request_one", worker_dies), self.capture(execute=True):
            jobs.start_once(
                "spark_bulk_request",
                self.alice,
                self.brand,
                campaign=self.world["campaign"].pk,
                posts=[],
                days=days,
                fee=str(fee) if fee else "",
                currency="USD" if fee else "",
            )

    @rule(
        filters=st.fixed_dictionaries(
            {},
            optional={
                "status": st.sampled_from(Status.values),
                "creator": st.sampled_from(["market", "@market.star", "nobody"]),
                "campaign": st.just("the deal's"),
                "expiring_within": st.sampled_from(["7", "14", "30", "45"]),
                "at_risk": st.just("on"),
                "sort": st.just(SORT_AT_RISK),
            },
        )
    )
    def brand_filters_the_ledger(self, filters: dict[str, str]) -> None:
        if "campaign" in filters:
            filters["campaign"] = str(self.world["campaign"].pk)
        self.filters = filters

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
    @rule(worker_dies=st.booleans())
    def creator_approves_here(self, worker_dies: bool = False) -> None:
        request = self.open_request()
        assert request is not None
        self.intents["setting"] += 1
        try:
            # The apply task runs once the click commits; its worker may die after TikTok
            # applied the code.
            with self.worker_may_die_after(flows, "_authorize_once", worker_dies), self.capture(execute=True):
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
        self.accepted.add(proposal.pk)
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
    @rule(days=st.sampled_from([7, 30, 60]), worker_dies=st.booleans())
    def creator_approves_in_tiktok(self, days: int, worker_dies: bool = False) -> None:
        request = self.open_request()
        assert request is not None
        try:
            self.control("POST", "helpers/spark/approve", {"video_id": self.post.video_id, "days": days})
        except requests.HTTPError:
            return  # nothing waiting on TikTok's side (the request was not sent)
        self.intents["approved"] += 1
        # The request's poller reads the answer (its real-time schedule does not pass here) and
        # applies the code, and its worker may die once TikTok applied it; the next beat
        # applies what is left.
        with self.worker_may_die_after(flows, "_authorize_once", worker_dies), self.capture(execute=True):
            tasks.poll_spark_request(request.pk)
        self.tick()

    @precondition(lambda self: self.open_request() is not None)
    @rule()
    def creator_declines_in_tiktok(self) -> None:
        try:
            self.control("POST", "helpers/spark/reject", {"video_id": self.post.video_id})
        except requests.HTTPError:
            pass

    @precondition(lambda self: any(creator_codes.can_revoke_here(r) for r in self.rows()))
    @rule(data=st.data())
    def creator_revokes_here(self, data: st.DataObject) -> None:
        """A code made here is revoked on the creator's Spark Ads page: TikTok deletes it."""
        auth = data.draw(st.sampled_from([r for r in self.rows() if creator_codes.can_revoke_here(r)]))
        self.intents["revoke"] += 1
        try:
            creator_codes.revoke(auth, self.creator)
        except FlowError:
            return
        self.revoked.add(auth.pk)

    @precondition(lambda self: any(r.status in HAS_CODE for r in self.rows()))
    @rule(data=st.data())
    def creator_revokes_in_tiktok(self, data: st.DataObject) -> None:
        """The creator cancels the code in TikTok's own screen (Authorizations); the ledger
        learns it from TikTok when it next reads the code."""
        auth = data.draw(st.sampled_from([r for r in self.rows() if r.status in HAS_CODE]))
        tiktok = requests.Session()
        tiktok.post(f"{self.sandbox}/sandbox/login/", data={"handle": self.world["account"].handle}, timeout=60)
        screen = tiktok.get(f"{self.sandbox}/sandbox/tiktok/authorizations/", timeout=60).text
        found = re.search(rf"<code>{re.escape(auth.auth_code)}</code>.*?name=\"code\" value=\"(\d+)\"", screen, re.S)
        if found is None:
            return  # TikTok no longer lists it: nothing left to cancel
        tiktok.post(
            f"{self.sandbox}/sandbox/tiktok/authorizations/", data={"code": found[1]}, timeout=60
        ).raise_for_status()
        event("the creator cancelled a code in TikTok")

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
        """Also: no extension without the creator's acceptance, and one per proposal they accepted."""
        type(self).steps += 1
        if type(self).steps % 1000 == 0:  # the long profile's progress
            print(f"{type(self).steps} steps checked", flush=True)
        if not hasattr(self, "intents"):
            return
        self.read_log()
        # One apply per code TikTok gave (the approval asked for it, or payment released it),
        # one request per request, one code made per approval here, one delete per revoke.
        for intent, path in WRITES.items():
            assert self.writes(path) <= self.intents[intent], (path, self.intents)
        applied = sum(1 for r in self.rows() if r.applied_at is not None)
        assert self.writes("tt_video/unbind/") <= min(applied, self.intents["unbind"] + applied)
        extensions = self.writes("business/post/authorize/")
        accepted = ExtensionProposal.objects.filter(authorization__brand=self.brand, status=Proposal.ACCEPTED)
        assert set(accepted.values_list("pk", flat=True)) <= self.accepted
        assert extensions <= len(self.accepted)

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
    def no_work_is_left_with_a_dead_worker(self) -> None:
        """Each step runs its work to the end here, and a dead worker's leases run out within its
        step: so between steps no approved code waits under an apply claim, no job is
        unfinished, and every post of a finished bulk job has its outcome."""
        if not hasattr(self, "intents"):
            return
        for row in self.rows():
            assert not (row.status == Status.APPROVED and row.apply_claimed_at), row
            assert not row.pending_write, row
        assert not BackgroundJob.objects.filter(brand=self.brand, state__in=UNFINISHED).exists()
        for job in BackgroundJob.objects.filter(brand=self.brand, kind="spark_bulk_request"):
            assert all(r["state"] not in ("queued", "sending") for r in job.result.get("rows", [])), job.result

    @invariant()
    def a_revoked_code_stays_revoked_and_offers_nothing(self) -> None:
        if not hasattr(self, "intents"):
            return
        rows = {r.pk: r for r in self.rows()}
        self.revoked |= {pk for pk, r in rows.items() if r.status == Status.REVOKED}
        for pk in self.revoked:
            assert rows[pk].status == Status.REVOKED and not rows[pk].actions, rows[pk]

    @invariant()
    def the_ledger_csv_lists_what_the_page_shows(self) -> None:
        """Under the brand's last filters, every page of the ledger and its CSV: the same rows
        in the same order, with the same statuses, terms, windows and who added them."""
        if not hasattr(self, "intents"):
            return
        url = reverse("sparkads:ledger", args=[self.brand.slug])
        page: list[dict[str, str]] = []
        query = "?" + urlencode(self.filters)
        while query:
            answer = self.brand_client.get(url + query, headers={"HX-Request": "true", "HX-Target": "ledger"})
            assert answer.status_code == 200
            table = LedgerTable()
            table.feed(answer.content.decode())
            page += [shown(cells) for cells in table.rows]
            query = table.next_page
        answer = self.brand_client.get(reverse("sparkads:ledger_csv", args=[self.brand.slug]), self.filters)
        assert answer.status_code == 200
        lines = b"".join(answer.streaming_content).decode()
        assert page == [exported(row) for row in csv.DictReader(io.StringIO(lines))], self.filters

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
    DealModel.brand_client = Client()
    DealModel.brand_client.force_login(alice)
    DealModel.steps = 0
    DealModel.capture = django_capture_on_commit_callbacks
    yield DealModel
    clock.forget()


# Over HTTP a step takes 0.1 to 0.2 s: the long profile needs half an hour, not pytest's 300 s.
@pytest.mark.timeout(0)
def test_the_deal_holds_its_invariants_under_random_sequences_of_what_people_and_time_do(deal_model):
    started = time.monotonic()
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
    took = time.monotonic() - started
    print(
        f"The model of the deal checked its invariants after {DealModel.steps} steps "
        f"in {took:.0f} s ({1000 * took / max(DealModel.steps, 1):.0f} ms a step)."
    )

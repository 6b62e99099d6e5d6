"""Spark Ads codes for every post of a campaign (or a selection), as one BackgroundJob.

Each post goes through the single request (flows.request_permission: one committed row per
post before TikTok is asked, so a re-run or a second click never sends twice) with the terms
chosen once for the whole batch. The job records each post's step before its TikTok call and
its outcome after (integrations.jobs.progress), so the progress view shows them live and a
worker that takes over from a dead one resumes at the first post not done, where the single
request finds any row the dead worker committed and sends nothing twice. TikTok's rate budget
paces the calls (the client waits for its slot).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.template.defaultfilters import pluralize

from integrations import jobs
from integrations.errors import FlowError
from integrations.models import BackgroundJob, Campaign, CampaignPost
from integrations.tiktok import TikTokError

from . import flows
from .models import MAX_REQUESTS_PER_VIDEO, AuditEvent, SparkAuthorization, UsageTerms

Status = SparkAuthorization.Status
HAS_CODE = [Status.APPROVED, Status.ACTIVE, Status.EXPIRING]

# A post's state in the batch, and what it means for the brand.
STATES = {
    "queued": "Waiting its turn",
    "sending": "Being sent to TikTok",
    "sent": "Sent: the creator answers in TikTok's notifications",
    "has_code": "Already has a code",
    "waiting": "Already requested: waiting for the creator",
    "refused": "Refused by TikTok",
    "needs_creator": "Needs the creator",
}


def campaign_posts(campaign: Campaign, post_ids: list[int] | None = None) -> QuerySet[CampaignPost]:
    posts = CampaignPost.objects.filter(campaign=campaign, link_status=CampaignPost.LinkStatus.APPROVE)
    if post_ids:
        posts = posts.filter(pk__in=post_ids)
    return posts.select_related("tiktok_account", "campaign__brand").order_by("pk")


def bulk_request_job(job: BackgroundJob) -> tuple[str, dict]:
    """integrations.jobs runner: request a code for each post, recording each post's state."""
    params = job.params
    campaign = Campaign.objects.filter(pk=params["campaign"], brand=job.brand).first()
    if campaign is None:
        raise FlowError("That campaign is not one of this brand's.")
    flows.enabled_capability(campaign.brand)
    days = int(params["days"])
    terms = UsageTerms(Decimal(params["fee"]) if params.get("fee") else None, params.get("currency", ""))
    posts = list(campaign_posts(campaign, params.get("posts")))
    if not posts:
        raise FlowError(f"{campaign} has no linked posts yet.")
    # A job resumed after its worker died keeps the rows that worker recorded.
    recorded = {row["post"]: row for row in job.result.get("rows", [])}
    rows = [recorded.get(p.pk) or _row(p) for p in posts]
    if not recorded:
        _save(job, rows)
    for post, row in zip(posts, rows, strict=True):
        if row["state"] not in ("queued", "sending"):
            continue  # done before a worker died
        # Recorded before the call: a worker taking over finds this post's row, not a blank.
        row.update(state="sending", label=STATES["sending"])
        _save(job, rows)
        row.update(request_one(post, job.user, days, terms))
        _save(job, rows)
    result = {"rows": rows, **summarize(rows)}
    sent = result["counts"]["sent"]
    if sent:  # the trail records requests TikTok got, with the terms they carried; not the click
        AuditEvent.record(
            campaign.brand,
            AuditEvent.Kind.BULK_REQUESTED,
            f"Bulk Spark Ads request sent for {sent} of {len(posts)} post{pluralize(len(posts))} of {campaign}: "
            f"{days} days, {terms.fee_amount or 'no fee'} {terms.fee_currency if terms.fee_amount else ''}".strip(),
            actor=job.user,
        )
    return _message(result), result


def request_one(post: CampaignPost, user: Any, days: int, terms: UsageTerms) -> dict:
    """One post of the batch: skip what already has a code or an open request, else send."""
    waiting = flows.waiting_extension(post)
    if waiting:
        return _state("waiting", waiting, None)
    existing = (
        SparkAuthorization.objects.filter(post=post).filter(Q(status__in=HAS_CODE) | Q(status=Status.REQUESTED)).first()
    )
    if existing is not None and existing.status in HAS_CODE:
        detail = existing.status_label + (f" until {existing.auth_end:%Y-%m-%d}" if existing.auth_end else "")
        return _state("has_code", detail, existing)
    if existing is not None:
        return _state("waiting", flows.already_requested(existing), existing)
    try:
        auth = flows.request_permission(post, user, days, terms)
    except FlowError as exc:
        if exc.message.startswith("Already requested"):
            return _state("waiting", exc.message, None)
        if f"{MAX_REQUESTS_PER_VIDEO} requests per video" in exc.message:
            return _state(
                "needs_creator",
                f"All {MAX_REQUESTS_PER_VIDEO} requests for this video are used: ask @{post.tiktok_account.handle} "
                "to make a code in TikTok (the post's Ad settings) and send it to you.",
                None,
                remaining=0,
            )
        return _state("refused", exc.message, None)
    try:
        # TikTok's remaining-requests count (and a code already there if the creator has
        # "Ad promotion" on): the same status read the request's poller makes.
        flows.poll_request(auth.pk)
    except (FlowError, TikTokError):
        pass  # the poller reads it later; the request itself was sent
    auth.refresh_from_db()
    if auth.status != Status.REQUESTED:
        return _state("has_code", auth.status_label, auth)
    return _state("sent", STATES["sent"], auth)


def _row(post: CampaignPost) -> dict:
    return {
        "post": post.pk,
        "video_id": post.video_id,
        # Kept with the row: the progress page names posts without reading them again.
        "title": post.title,
        "handle": post.tiktok_account.handle,
        "state": "queued",
        "label": STATES["queued"],
        "detail": "",
        "remaining": None,
    }


def _state(state: str, detail: str, auth: SparkAuthorization | None, *, remaining: int | None = None) -> dict:
    if auth is not None and remaining is None:
        remaining = auth.num_remaining_request
    return {"state": state, "label": STATES[state], "detail": detail, "remaining": remaining}


def summarize(rows: list[dict]) -> dict:
    """Counts per state, and what needs the creator: requests to approve, codes to make."""
    counts = {state: sum(1 for r in rows if r["state"] == state) for state in STATES}
    to_approve = sorted({r["handle"] for r in rows if r["state"] in ("sent", "waiting")})
    to_make = [r for r in rows if r["state"] == "needs_creator"]
    return {"counts": counts, "to_approve": to_approve, "to_make": to_make}


def _message(result: dict) -> str:
    counts = result["counts"]
    parts = [f"{counts['sent']} sent", f"{counts['has_code']} already had a code", f"{counts['waiting']} waiting"]
    if counts["refused"]:
        parts.append(f"{counts['refused']} refused")
    if counts["needs_creator"]:
        parts.append(f"{counts['needs_creator']} need the creator")
    return "Done: " + ", ".join(parts) + "."


def _save(job: BackgroundJob, rows: list[dict]) -> None:
    jobs.progress(job, {"rows": rows, **summarize(rows)})

"""No token or authorization code value shows up anywhere a person or a log can read it.

The flows run for real against the live sandbox (brand connect, creator authorization and
Marketplace poll, a Spark Ads request approved on TikTok and applied, a pasted Ad settings
code); afterwards every secret value they produced is known, and the test searches the
captured logs and output, every Django admin page of the platform's models, and every
column of every row the platform stored (the audit trail included: only ciphertext and
keyed hashes may remain).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlparse

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SPRING_LAUNCH = "7900000000000000001"
APPS = ("integrations", "creators", "sparkads")


@pytest.fixture
def eager_celery():
    """Tasks run inline (as the worker would) so one process sees every log line."""
    from aspire_tiktok.celery import app

    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


def _query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def _run_every_flow(sandbox, brand, alice, creator_user) -> list[str]:
    """Run the flows; return the authorization codes TikTok issued along the way."""
    from integrations.models import Campaign, CampaignPost, Credential, TikTokAccount, TikTokOneAccount
    from integrations.tiktok import BusinessClient, tokens
    from sparkads.models import SparkAuthorization
    from sparkads.tasks import dispatch_spark_polls
    from tiktok_sandbox.testing import link_statuses

    codes = []
    sandbox.clear_rate_limits()  # the budget is proven elsewhere; here only values matter

    # The platform's own TikTok One account (staff connect it once).
    internal_code = sandbox.helper("portal-auth", persona="demo-brand", redirect_uri="http://testserver/cb/")[
        "auth_code"
    ]
    codes.append(internal_code)
    grant = BusinessClient().oauth2_access_token(internal_code)
    # Its id differs from the brand's own (ids are unique here, and both are Demo Brand's in
    # the sandbox): its Marketplace calls fail, which still exercises the error paths' logging.
    TikTokOneAccount.objects.create(
        tto_tcm_account_id="7200000000000000099",
        name="Platform",
        is_internal=True,
        business_verification_status="VERIFIED",
        credential=tokens.apply_grant(Credential(kind=Credential.Kind.BUSINESS), grant),
    )

    # Brand connect.
    brand_client = Client()
    brand_client.force_login(alice)
    q = _query(brand_client.post(reverse("integrations:tiktok_connect", args=[brand.slug]))["Location"])
    code = sandbox.helper("portal-auth", persona="demo-brand", redirect_uri=q["redirect_uri"], state=q["state"])[
        "auth_code"
    ]
    codes.append(code)
    response = brand_client.get(reverse("integrations:tiktok_callback"), {"auth_code": code, "state": q["state"]})
    assert response.status_code == 302

    # Creator authorization (+ the Marketplace poll it enqueues).
    creator_client = Client()
    creator_client.force_login(creator_user)
    q = _query(creator_client.post(reverse("creators:authorize"))["Location"])
    code = sandbox.helper(
        "authorize",
        handle="demo.creator",
        client_key="sandbox-business-app",
        redirect_uri=q["redirect_uri"],
        state=q["state"],
    )["code"]
    codes.append(code)
    creator_client.get(reverse("creators:callback"), {"code": code, "state": q["state"]})
    assert TikTokAccount.objects.filter(handle="demo.creator", owner=creator_user).exists()

    # Spark Ads: request on a campaign post, approved on TikTok, applied by the poller.
    tto = TikTokOneAccount.objects.get(brand=brand, tto_tcm_account_id="7200000000000000001")
    links = link_statuses(
        settings.TIKTOK_BUSINESS_API_BASE_URL, tto.credential.access_token, tto.tto_tcm_account_id, SPRING_LAUNCH
    )
    video_id = next(str(r["video_id"]) for r in links if r["status"] == "APPROVE")
    campaign = Campaign.objects.create(brand=brand, tiktok_one_account=tto, campaign_id=SPRING_LAUNCH, name="Spring")
    star, _ = TikTokAccount.objects.get_or_create(handle="market.star")
    post = CampaignPost.objects.create(
        campaign=campaign, tiktok_account=star, video_id=video_id, link_status=CampaignPost.LinkStatus.APPROVE
    )
    brand_client.post(reverse("sparkads:request_permission", args=[brand.slug]), {"post": post.pk, "days": 30})
    codes.append(sandbox.helper("spark/approve", video_id=video_id, days=30)["auth_code"])
    for _ in range(3):
        SparkAuthorization.objects.update(next_poll_at=timezone.now())
        dispatch_spark_polls.delay()
    assert SparkAuthorization.objects.filter(status="active").exists(), list(
        SparkAuthorization.objects.values("status", "last_error")
    )

    # A creator's Ad settings code, pasted by the brand.
    other_video = next(
        v
        for p in sandbox.personas()["creators"]
        if p["handle"] == "market.star"
        for v in p["video_ids"]
        if v != video_id
    )
    pasted = sandbox.helper("ad-codes", video_id=other_video, days=30)["auth_code"]
    codes.append(pasted)
    brand_client.post(reverse("sparkads:paste_code", args=[brand.slug]), {"code": pasted})
    return codes


def _secret_values(codes: list[str]) -> set[str]:
    from integrations.models import Credential

    values = set(codes)
    for cred in Credential.objects.all():
        values.update(v for v in (cred.access_token, cred.refresh_token) if v)
    assert all(len(v) >= 16 for v in values), "a secret this short could match by accident"
    return values


def _stored_text() -> str:
    """Every column of every row the platform's apps stored, as the database holds it."""
    chunks = []
    with connection.cursor() as cursor:
        for app in APPS:
            for model in apps.get_app_config(app).get_models():
                cursor.execute(f'SELECT * FROM "{model._meta.db_table}"')  # noqa: S608 - table names from models
                chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def _admin_pages(staff) -> dict[str, str]:
    client = Client()
    client.force_login(staff)
    pages = {}
    for model in list(admin.site._registry):
        if model._meta.app_label not in APPS:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        url = reverse("admin:{}_{}_changelist".format(*info))
        pages[url] = client.get(url).content.decode()
        for pk in model.objects.values_list("pk", flat=True)[:5]:
            url = reverse("admin:{}_{}_change".format(*info), args=[pk])
            pages[url] = client.get(url).content.decode()
    return pages


def test_no_token_or_code_value_appears_in_logs_admin_pages_or_stored_rows(
    sandbox, brand, alice, user_factory, eager_celery, caplog, capsys, settings
):
    settings.TIKTOK_RATE_BUDGET_ENABLED = False
    caplog.set_level(logging.DEBUG)
    creator_user = user_factory(email="secret.creator@example.test")
    staff = user_factory(email="staff.secret@example.test", is_staff=True, is_superuser=True)

    codes = _run_every_flow(sandbox, brand, alice, creator_user)
    secrets = _secret_values(codes)
    assert len(secrets) >= 8  # 5 codes + access/refresh tokens of at least two grants

    captured = capsys.readouterr()
    logs = caplog.text + "\n" + "\n".join(r.getMessage() for r in caplog.records)
    stored = _stored_text()
    admin_pages = _admin_pages(staff)
    leaks = []
    for secret in secrets:
        shown = f"{secret[:6]}…"
        if secret in logs:
            leaks.append(f"log record contains {shown}")
        if secret in captured.out or secret in captured.err:
            leaks.append(f"stdout/stderr contains {shown}")
        if secret in stored:
            leaks.append(f"a stored row (plaintext in the database) contains {shown}")
        leaks.extend(f"admin page {url} shows {shown}" for url, html in admin_pages.items() if secret in html)
    assert not leaks, "\n" + "\n".join(leaks)


def test_the_audit_trail_records_the_spark_flow_without_its_codes(
    sandbox, brand, alice, user_factory, eager_celery, settings
):
    from sparkads.models import AuditEvent

    settings.TIKTOK_RATE_BUDGET_ENABLED = False
    codes = _run_every_flow(sandbox, brand, alice, user_factory(email="audit.creator@example.test"))
    events = list(AuditEvent.objects.filter(brand=brand).values())
    kinds = {e["kind"] for e in events}
    assert {"requested", "applied"} <= kinds, kinds
    text = repr(events)
    assert [c[:6] for c in _secret_values(codes) if c in text] == []

"""TikTok's API_SERVICE_STATUS: the signed webhook, incidents of the TikTok One API only, the
banner on the pages that depend on it, the staff page and the app's subscription."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import responses
from django.conf import settings
from django.test import Client
from django.urls import reverse

from integrations.models import ApiIncident, ApiStatusSubscription, WebhookDelivery
from integrations.service_status import incidents
from integrations.tiktok import webhooks

pytestmark = pytest.mark.django_db
URL = reverse("integrations:api_status_webhook")


def _entry(**overrides) -> dict:
    entry = {
        "incident_id": "7600000000000000001", "incident_title": "Elevated errors on TikTok One API",
        "incident_products": ["TIKTOK_ONE_API"], "incident_event_type": "CREATE",
        "incident_level": "MAJOR_DISRUPTION", "incident_start_time": "2026-12-01 20:15:00",
        "incident_detail": "Creator discovery returns 50000 for some requests.",
    }  # fmt: skip
    entry.update(overrides)
    return entry


def _delivery(request_id: str = "r1", **entry) -> bytes:
    return json.dumps({"request_id": request_id, "object": 14, "time": 1, "entry": [_entry(**entry)]}).encode()


def _post(raw: bytes, *, secret: str | None = None, signed: bool = True):
    secret = settings.TIKTOK_APP_SECRET if secret is None else secret
    headers = {"TikTok-Signature": webhooks.sign(raw, secret)} if signed else {}
    return Client(raise_request_exception=False).post(URL, raw, content_type="application/json", headers=headers)


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Post a signed delivery and run its on-commit work, as outside a test transaction."""

    def post(raw: bytes):
        with django_capture_on_commit_callbacks(execute=True):
            return _post(raw)

    return post


def test_an_unsigned_delivery_is_a_400_and_never_parsed(monkeypatch):
    parsed = []
    monkeypatch.setattr(webhooks.json, "loads", lambda *a, **k: parsed.append(a))
    assert _post(_delivery(), signed=False).status_code == 400
    assert parsed == [] and not ApiIncident.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_delivery_signed_with_another_secret_is_a_400():
    assert _post(_delivery(), secret="not-the-app-secret").status_code == 400
    assert not ApiIncident.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        _delivery(incident_products={"a": 1}),
        _delivery(incident_products=[1, 2]),
        _delivery(incident_id=["7600000000000000001"]),
        json.dumps({"entry": "not a list"}).encode(),
        json.dumps([1]).encode(),
        b"\xff not json",
    ],
    ids=["products-object", "products-ints", "id-list", "entry-text", "array", "bytes"],
)
def test_a_signed_body_of_the_wrong_shape_is_a_400(body):
    assert _post(body).status_code == 400
    assert not ApiIncident.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_tiktok_one_incident_is_recorded_open_with_tiktoks_ids_text_and_utc_start(deliver):
    assert deliver(_delivery()).status_code == 200
    incident = ApiIncident.objects.get()
    assert incident.incident_id == "7600000000000000001" and incident.status == ApiIncident.Status.OPEN
    assert incident.title == "Elevated errors on TikTok One API" and incident.level == "MAJOR_DISRUPTION"
    assert incident.detail.startswith("Creator discovery") and incident.products == ["TIKTOK_ONE_API"]
    assert incident.started_at == datetime(2026, 12, 1, 20, 15, tzinfo=UTC) and incident.resolved_at is None


def test_an_incident_of_other_api_products_only_is_not_recorded(deliver):
    assert deliver(_delivery(incident_products=["CAMPAIGN_API", "REPORTING_API"])).status_code == 200
    assert not ApiIncident.objects.exists()
    assert incidents.open_incidents() == []


def test_twenty_replays_of_one_delivery_record_one_incident_once(deliver, monkeypatch):
    applied = []
    real_apply = incidents.apply
    monkeypatch.setattr(incidents, "apply", lambda events: applied.append(events) or real_apply(events))
    raw = _delivery()
    assert {deliver(raw).status_code for _ in range(20)} == {200}
    assert len(applied) == 1 and ApiIncident.objects.count() == 1 and WebhookDelivery.objects.count() == 1


def test_resolve_closes_the_incident_and_a_late_create_does_not_reopen_it(deliver):
    deliver(_delivery("r1"))
    deliver(_delivery("r2", incident_event_type="RESOLVE", incident_resolve_time="2026-12-01 21:05:00"))
    incident = ApiIncident.objects.get()
    assert incident.status == ApiIncident.Status.RESOLVED
    assert incident.resolved_at == datetime(2026, 12, 1, 21, 5, tzinfo=UTC)
    deliver(_delivery("r3", incident_event_type="UPDATE", incident_title="Still investigating"))
    incident.refresh_from_db()
    assert incident.status == ApiIncident.Status.RESOLVED and incident.title == "Elevated errors on TikTok One API"


def test_an_update_changes_the_open_incidents_text_and_level(deliver):
    deliver(_delivery("r1"))
    deliver(
        _delivery("r2", incident_event_type="UPDATE", incident_level="LOW_DISRUPTION", incident_detail="Recovering")
    )
    incident = ApiIncident.objects.get()
    assert (incident.level, incident.detail, incident.status) == ("LOW_DISRUPTION", "Recovering", "open")


def test_a_resolve_that_arrives_first_records_the_incident_resolved(deliver):
    deliver(_delivery(incident_event_type="RESOLVE", incident_resolve_time="2026-12-01 21:05:00"))
    assert ApiIncident.objects.get().status == ApiIncident.Status.RESOLVED
    assert incidents.open_incidents() == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01 20:15:00", datetime(2026, 12, 1, 20, 15, tzinfo=UTC)),
        ("2026-12-01T20:15:00+00:00", datetime(2026, 12, 1, 20, 15, tzinfo=UTC)),
        (1796156100, datetime.fromtimestamp(1796156100, UTC)),
        ("1796156100", datetime.fromtimestamp(1796156100, UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
        ({"t": 1}, None),
    ],
)
def test_incident_times_are_read_tolerantly(value, expected):
    (event,) = webhooks.parse_api_service_status(_delivery(incident_start_time=value))
    assert event.started_at == expected


def test_a_single_product_string_and_a_lowercase_event_type_are_understood():
    (event,) = webhooks.parse_api_service_status(
        _delivery(incident_products="TIKTOK_ONE_API", incident_event_type="resolve")
    )
    assert event.affects_tiktok_one and event.event_type == "RESOLVE"


def test_an_entry_without_an_incident_id_is_skipped():
    assert webhooks.parse_api_service_status(_delivery(incident_id=None)) == []


# --- the banner -------------------------------------------------------------------------------


def _insights(client_for, bob, brand):
    return client_for(bob).get(reverse("integrations:insights", args=[brand.slug]))


def test_tiktok_one_pages_show_the_banner_while_an_incident_is_open_and_not_after(deliver, client_for, bob, brand):
    assert b"tiktok-one-incident" not in _insights(client_for, bob, brand).content
    deliver(_delivery("r1"))
    page = _insights(client_for, bob, brand).content.decode()
    assert 'id="tiktok-one-incident"' in page and "Elevated errors on TikTok One API" in page
    assert "Major disruption" in page and "2026-12-01 20:15 UTC" in page
    for name in ("integrations:campaigns", "integrations:creator_search", "sparkads:ledger"):
        assert b"tiktok-one-incident" in client_for(bob).get(reverse(name, args=[brand.slug])).content, name
    deliver(_delivery("r2", incident_event_type="RESOLVE", incident_resolve_time="2026-12-01 21:05:00"))
    assert b"tiktok-one-incident" not in _insights(client_for, bob, brand).content


def test_pages_that_do_not_use_tiktok_one_show_no_banner(deliver, client_for, bob, brand):
    deliver(_delivery())
    for name in ("brand_home", "integrations:tiktok_settings"):
        assert b"tiktok-one-incident" not in client_for(bob).get(reverse(name, args=[brand.slug])).content, name


def _queries(client, url, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(100) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_banner_costs_a_page_no_query_with_or_without_an_incident(
    deliver, client_for, bob, brand, settings, django_assert_max_num_queries
):
    client = client_for(bob)
    url = reverse("integrations:insights", args=[brand.slug])
    with_banner_check = _queries(client, url, django_assert_max_num_queries)
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"], "context_processors": [
            p for p in processors if not p.endswith("tiktok_one_status")
        ]}}
    ]  # fmt: skip
    without_banner_check = _queries(client, url, django_assert_max_num_queries)
    assert b"tiktok-one-incident" not in client.get(url).content
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"],
                                                                 "context_processors": processors}}]  # fmt: skip
    deliver(_delivery())
    with_an_incident = _queries(client, url, django_assert_max_num_queries)
    assert with_banner_check == without_banner_check == with_an_incident
    assert b"tiktok-one-incident" in client.get(url).content


# --- staff page and subscription ------------------------------------------------------------


def test_the_staff_page_lists_incidents_and_is_for_staff_only(deliver, client_for, bob, user_factory):
    deliver(_delivery())
    url = reverse("integrations:staff_api_status")
    assert client_for(bob).get(url).status_code == 302  # to the admin login
    staff = user_factory(is_staff=True)
    page = client_for(staff).get(url).content.decode()
    assert "7600000000000000001" in page and "Elevated errors on TikTok One API" in page and "Open" in page
    assert "Not subscribed" in page
    assert (
        reverse("integrations:staff_api_status") in client_for(staff).get(reverse("staff_freshness")).content.decode()
    )


@pytest.fixture
def subscribe_url():
    return f"{settings.TIKTOK_BUSINESS_API_BASE_URL}/open_api/v1.3/subscription/subscribe/"


def test_subscribing_asks_tiktok_once_for_tiktok_one_api_incidents(subscribe_url):
    ok = {"code": 0, "message": "OK", "request_id": "r", "data": {"subscription_id": "7300000000000000777"}}
    with responses.RequestsMock() as rsps:
        rsps.post(subscribe_url, json=ok)
        assert incidents.subscribe().subscription_id == "7300000000000000777"
        assert incidents.subscribe().subscription_id == "7300000000000000777"
        assert len(rsps.calls) == 1
        body = json.loads(rsps.calls[0].request.body)
    assert body["subscribe_entity"] == "API_SERVICE_STATUS"
    assert body["subscription_detail"] == {"product_filters": ["TIKTOK_ONE_API"]}
    assert body["callback_url"] == settings.SITE_URL + "/webhooks/tiktok/api-service-status/"
    assert ApiStatusSubscription.objects.get().app_id == settings.TIKTOK_APP_ID


def test_a_refused_subscription_is_recorded_and_staff_can_try_again(subscribe_url, client_for, user_factory):
    refused = {"code": 40001, "message": "Invalid app_id or secret.", "request_id": "r", "data": {}}
    ok = {"code": 0, "message": "OK", "request_id": "r", "data": {"subscription_id": "7300000000000000778"}}
    staff = client_for(user_factory(is_staff=True))
    with responses.RequestsMock() as rsps:
        rsps.post(subscribe_url, json=refused)
        rsps.post(subscribe_url, json=ok)
        first = staff.post(reverse("integrations:staff_api_status_subscribe"), follow=True).content.decode()
        assert "TikTok refused the subscription" in first and "Invalid app_id or secret." in first
        again = staff.post(reverse("integrations:staff_api_status_subscribe"), follow=True).content.decode()
    assert "7300000000000000778" in again
    sub = ApiStatusSubscription.objects.get()
    assert sub.subscription_id == "7300000000000000778" and sub.last_error == ""


def test_only_staff_may_subscribe(client_for, bob):
    response = client_for(bob).post(reverse("integrations:staff_api_status_subscribe"))
    assert response.status_code == 302 and not ApiStatusSubscription.objects.exists()


def test_after_the_cache_is_flushed_the_beat_task_brings_the_banner_back(deliver, client_for, bob, brand):
    from django.core.cache import cache

    from integrations.tasks import refresh_incident_banner

    deliver(_delivery())
    cache.clear()  # Redis restarted
    assert b"tiktok-one-incident" not in _insights(client_for, bob, brand).content
    assert refresh_incident_banner.run() == 1
    assert b"Elevated errors on TikTok One API" in _insights(client_for, bob, brand).content

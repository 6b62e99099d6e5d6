"""Dev and sandbox mail is kept for staff to read on the Outbox page, and printed decoded."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from integrations.mail import OutboxBackend
from integrations.models import SentMail

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
LINK = "http://127.0.0.1:8000/invitations/a-token_with=signs-and-a-long-tail-0123456789abcdef0123456789/"


def _send(subject: str = "Join Northwind Tea", body: str = f"Café time. Accept: {LINK}\n") -> io.StringIO:
    stream = io.StringIO()
    message = EmailMultiAlternatives(subject, body, "noreply@localhost", ["sam@northwind.test"])
    message.attach_alternative(f'<a href="{LINK}">Accept</a>', "text/html")
    OutboxBackend(stream=stream).send_messages([message])
    return stream


def test_the_dev_backend_keeps_each_mail_and_prints_it_decoded():
    printed = _send().getvalue()
    mail = SentMail.objects.get()
    assert (mail.subject, mail.recipients) == ("Join Northwind Tea", ["sam@northwind.test"])
    assert LINK in mail.body and LINK in mail.html
    # Readable in the log: the link whole and the accent as written, not quoted-printable.
    assert LINK in printed and "Café time" in printed and "=3D" not in printed
    assert "Subject: Join Northwind Tea" in printed


def test_staff_read_sent_mail_with_links_that_work(client_for, user_factory):
    _send()
    page = client_for(user_factory(is_staff=True)).get(reverse("staff_outbox")).content.decode()
    assert "Join Northwind Tea" in page and "sam@northwind.test" in page
    assert f'href="{LINK}"' in page


def test_the_outbox_is_for_staff_only(client_for, alice):
    _send()
    response = client_for(alice).get(reverse("staff_outbox"))
    assert response.status_code == 302 and "Join Northwind Tea" not in response.content.decode()


def test_the_outbox_pages_its_mail_for_the_same_queries_whatever_the_count(
    client_for, user_factory, django_assert_max_num_queries
):
    client = client_for(user_factory(is_staff=True))
    SentMail.objects.bulk_create(SentMail(subject=f"Mail {n}", to="a@b.test", body="x") for n in range(5))

    def count() -> int:
        with django_assert_max_num_queries(20) as captured:
            assert client.get(reverse("staff_outbox")).status_code == 200
        return len(captured)

    few = count()
    SentMail.objects.bulk_create(SentMail(subject=f"Mail {n}", to="a@b.test", body="x") for n in range(1000))
    assert count() == few
    page = client.get(reverse("staff_outbox")).content.decode()
    assert page.count('class="card sent-mail"') == 50 and "?page=2" in page


def test_make_run_and_the_sandbox_control_page_link_the_outbox():
    assert "/staff/outbox/" in (ROOT / "Makefile").read_text()
    assert "/staff/outbox/" in (ROOT / "tiktok_sandbox/templates/sandbox/control.html").read_text()

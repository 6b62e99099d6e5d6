from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_login_page_renders(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert b"Sign in" in response.content or b"Sign In" in response.content


@pytest.mark.parametrize("email", ["brand@demo.test", "creator@demo.test", "member@demo.test", "staff@demo.test"])
def test_each_demo_user_can_sign_in_with_the_demo_password(client, email):
    call_command("seed_demo")
    response = client.post(reverse("account_login"), {"login": email, "password": "demo-pass"})
    assert response.status_code == 302, response.content[:500]
    assert client.get("/").status_code in {200, 302}
    assert "_auth_user_id" in client.session


def test_seed_demo_is_idempotent(django_user_model):
    from integrations.models import Brand, BrandMembership

    call_command("seed_demo")
    call_command("seed_demo")
    assert django_user_model.objects.filter(email__endswith="@demo.test").count() == 4
    assert Brand.objects.filter(slug="demo-brand").count() == 1
    assert BrandMembership.objects.filter(brand__slug="demo-brand").count() == 2


def test_a_wrong_password_is_refused(client):
    call_command("seed_demo")
    response = client.post(reverse("account_login"), {"login": "brand@demo.test", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_visitor_can_sign_up_with_email(client, django_user_model):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.test", "password1": "a-Long-pass-9876", "password2": "a-Long-pass-9876"},
    )
    assert response.status_code == 302
    assert django_user_model.objects.filter(email="new@example.test").exists()


def test_staff_see_the_admin_and_never_a_token_field(client, django_user_model):
    from integrations.models import Credential

    call_command("seed_demo")
    cred = Credential.objects.create(kind="business", access_token="very-secret-token-abc")
    client.force_login(django_user_model.objects.get(email="staff@demo.test"))
    page = client.get(reverse("admin:integrations_credential_change", args=[cred.pk])).content.decode()
    assert "very-secret-token-abc" not in page
    assert 'name="access_token"' not in page
    assert client.get(reverse("admin:integrations_credential_changelist")).status_code == 200


def test_signup_does_not_reveal_whether_an_email_is_registered(
    client, settings, user_factory, django_capture_on_commit_callbacks
):
    """Production's settings (mandatory verification, enumeration prevention): both answers alike."""
    from django.core import mail

    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    user_factory(email="taken@example.test")
    answers = {}
    for email in ("taken@example.test", "free@example.test"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("account_signup"),
                {"email": email, "password1": "a-Long-pass-9876", "password2": "a-Long-pass-9876"},
            )
        answers[email] = (response.status_code, response["Location"])
        assert "_auth_user_id" not in client.session
    assert answers["taken@example.test"] == answers["free@example.test"]
    assert answers["taken@example.test"][0] == 302
    page = client.get(answers["taken@example.test"][1]).content.decode()
    assert "already registered" not in page
    # The owner of the registered address hears about the attempt; the newcomer gets a link.
    assert sorted(m.to[0] for m in mail.outbox) == ["free@example.test", "taken@example.test"]

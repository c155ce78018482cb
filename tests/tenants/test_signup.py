"""Self-serve sign-up on the public host: form, live slug check, e-mail verification,
provisioning in the background and the owner's first sign-in on the new agency's host."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_exists

from apps.tenants.models import Agency, AgencySignup
from apps.tenants.tasks import provision_signup
from tests.conftest import PASSWORD, host_client

FORM = {"name": "Kestrel Social", "slug": "kestrel", "email": "Owner@Kestrel.test",
        "password": PASSWORD}  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def _link(message) -> str:
    return re.search(r"http://\S+/signup/verify/\S+/", message.body).group(0)


def test_signup_verifies_the_email_then_provisions_and_the_owner_signs_in(
    public_client, django_capture_on_commit_callbacks
):
    response = public_client.post("/signup/", FORM)
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    # Nothing exists in the agency's name before the link is opened: no schema, no host, so
    # no channel of it can ever be dispatched for a fetch.
    assert not Agency.objects.filter(slug="kestrel").exists()
    assert not schema_exists("kestrel")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["owner@kestrel.test"]

    path = _link(mail.outbox[0]).split("localhost", 1)[1]
    with django_capture_on_commit_callbacks() as queued:
        response = public_client.get(path)
    assert response.status_code == 302 and "/signup/status/" in response["Location"]
    assert len(queued) == 1  # provision_signup, for the worker
    progress = public_client.get(response["Location"]).content.decode()
    assert "working" in progress and 'hx-trigger="every 1s"' in progress

    assert provision_signup(AgencySignup.objects.get().pk) == "ready"
    polled = public_client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert polled["HX-Redirect"] == "http://kestrel.localhost/accounts/login/"
    agency = Agency.objects.get(slug="kestrel")
    assert agency.name == "Kestrel Social"
    connection.set_tenant(agency)
    owner_browser = host_client(agency)
    assert owner_browser.login(username="owner@kestrel.test", password=PASSWORD)
    assert owner_browser.get("/").status_code == 200
    connection.set_schema_to_public()


def test_opening_the_link_twice_provisions_once(public_client, django_capture_on_commit_callbacks):
    public_client.post("/signup/", FORM)
    path = _link(mail.outbox[0]).split("localhost", 1)[1]
    with django_capture_on_commit_callbacks() as first:
        public_client.get(path)
    with django_capture_on_commit_callbacks() as second:
        assert public_client.get(path).status_code == 302
    assert (len(first), len(second)) == (1, 0)


@pytest.mark.parametrize(
    ("slug", "message"),
    [("admin", "reserved"), ("Bad_Slug!", "lowercase letters"), ("alpha", "already exists")],
)
def test_a_reserved_bad_or_taken_slug_is_refused_next_to_the_field_keeping_the_input(
    public_client, agency_a, slug, message
):
    response = public_client.post("/signup/", {**FORM, "slug": slug})
    body = response.content.decode()
    assert response.status_code == 400
    error = re.search(r'id="id_slug_error" class="field-error">([^<]*)<', body).group(1)
    assert message in error
    assert 'value="Kestrel Social"' in body and 'value="owner@kestrel.test"' in body.lower()
    assert not AgencySignup.objects.exists() and not mail.outbox


def test_a_slug_held_by_an_unverified_signup_is_taken(public_client):
    public_client.post("/signup/", FORM)
    response = public_client.post("/signup/", {**FORM, "email": "other@example.test"})
    assert response.status_code == 400 and "is taken" in response.content.decode()


def test_weak_password_and_bad_email_are_refused_by_field(public_client):
    response = public_client.post("/signup/", {**FORM, "password": "123"})
    assert response.status_code == 400
    assert re.search(
        r'id="id_password_error" class="field-error">[^<]*too short', response.content.decode()
    )
    response = public_client.post("/signup/", {**FORM, "email": "nope"})
    body = response.content.decode()
    assert re.search(r'id="id_email_error" class="field-error">[^<]*valid email', body)


def test_the_slug_check_answers_as_you_type(public_client, agency_a):
    assert (
        "kestrel.localhost is free"
        in public_client.get("/signup/check-slug/?slug=kestrel").content.decode()
    )
    assert "reserved" in public_client.get("/signup/check-slug/?slug=www").content.decode()
    assert "already exists" in public_client.get("/signup/check-slug/?slug=alpha").content.decode()


def test_signups_are_limited_per_ip_address(public_client, settings):
    settings.RAPPORT_SIGNUPS_PER_HOUR = 2
    for n in range(2):
        response = public_client.post("/signup/", {**FORM, "slug": f"kestrel-{n}"})
        assert response.status_code == 200
    response = public_client.post("/signup/", {**FORM, "slug": "kestrel-9"})
    assert response.status_code == 429 and "Too many sign-ups" in response.content.decode()
    assert AgencySignup.objects.count() == 2


def test_an_unknown_verification_link_is_404(public_client):
    assert public_client.get("/signup/verify/not-a-token/").status_code == 404
    assert public_client.get("/signup/status/not-a-token/").status_code == 404


def test_a_slug_taken_meanwhile_fails_the_signup_with_its_reason(public_client, agency_a):
    signup = AgencySignup.objects.create(
        name="Late", slug="alpha", email="late@example.test", password_hash="x", token="t",
        status=AgencySignup.Status.PROVISIONING,
    )  # fmt: skip
    assert provision_signup(signup.pk) == "failed"
    signup.refresh_from_db()
    assert "already exists" in signup.error
    assert "could not create" in public_client.get("/signup/status/t/").content.decode()

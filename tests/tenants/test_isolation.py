"""Data written in one agency cannot be seen from another: ORM, HTTP and sign-in."""

from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.tenants.services import agency_host
from tests.accounts.factories import UserFactory
from tests.conftest import PASSWORD, host_client


def test_user_created_in_agency_a_is_invisible_from_agency_b(in_agency_a, agency_b):
    UserFactory(email="only-in-a@example.test")
    assert User.objects.filter(email="only-in-a@example.test").exists()
    with schema_context(agency_b.schema_name):
        assert not User.objects.filter(email="only-in-a@example.test").exists()
        assert list(User.objects.values_list("email", flat=True)) == ["owner@beta.test"]


def test_each_agency_has_its_own_schema(agency_a, agency_b, db):
    assert agency_a.schema_name == "alpha"
    assert agency_b.schema_name == "beta"
    with schema_context("alpha"):
        assert connection.schema_name == "alpha"
        assert User.objects.get().email == "owner@alpha.test"


def test_owner_signs_in_at_own_agency_host(client_a):
    response = client_a.post(
        "/accounts/login/", {"username": "owner@alpha.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    home = client_a.get("/")
    assert home.status_code == 200
    assert b"owner@alpha.test" in home.content
    assert b"Alpha Agency" in home.content


def test_owner_of_agency_a_cannot_sign_in_at_agency_b_host(client_b, agency_a):
    response = client_b.post(
        "/accounts/login/", {"username": "owner@alpha.test", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert b"do not match an account of Beta Agency" in response.content
    assert "_auth_user_id" not in client_b.session


def test_session_from_agency_a_does_not_authenticate_at_agency_b(client_a, agency_b):
    client_a.post("/accounts/login/", {"username": "owner@alpha.test", "password": PASSWORD})
    stolen = client_a.cookies["sessionid"].value
    intruder = host_client(agency_b)
    intruder.cookies["sessionid"] = stolen
    response = intruder.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_session_cookie_is_host_only(client_a):
    client_a.post("/accounts/login/", {"username": "owner@alpha.test", "password": PASSWORD})
    assert client_a.cookies["sessionid"]["domain"] == ""


def test_anonymous_visitor_is_sent_to_sign_in(client_a):
    response = client_a.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_unknown_host_answers_404(db):
    response = host_client(None).get("/", HTTP_HOST="nobody.localhost")
    assert response.status_code == 404


def test_public_host_serves_landing_page_not_agency_pages(public_client):
    response = public_client.get("/")
    assert response.status_code == 200
    assert b"Acknowledge every one of them" in response.content
    assert public_client.get("/accounts/login/").status_code == 404


def test_host_names_are_case_insensitive(agency_a, db):
    shouted = Client(HTTP_HOST=agency_host(agency_a.slug).upper())
    assert shouted.get("/accounts/login/").status_code == 200
    signed_in = shouted.post(
        "/accounts/login/", {"username": "owner@alpha.test", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert b"Alpha Agency" in shouted.get("/").content

"""API tokens: obtained with e-mail and password, stored hashed, valid on one agency only,
revocable, and rate-limited."""

from __future__ import annotations

from django.db import connection
from knox.models import AuthToken

from tests.api.conftest import api_client
from tests.conftest import PASSWORD


def test_owner_gets_a_token_with_email_and_password_and_uses_it(in_agency_a, agency_a):
    anonymous = api_client(agency_a)
    response = anonymous.post(
        "/api/v1/auth/token/",
        {"username": "owner@alpha.test", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 201, response.content
    token = response.json()["token"]
    assert response.json()["role"] == "owner"

    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anonymous.get("/api/v1/clients/").status_code == 200
    # Stored as a digest: the key itself is nowhere in the table.
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        rows = cursor.fetchall()
    assert rows and all(token not in digest and token != key for digest, key in rows)


def test_wrong_password_and_missing_fields_are_refused(in_agency_a, agency_a):
    anonymous = api_client(agency_a)
    wrong = anonymous.post(
        "/api/v1/auth/token/", {"username": "owner@alpha.test", "password": "nope"}, format="json"
    )
    assert wrong.status_code == 401
    missing = anonymous.post("/api/v1/auth/token/", {"username": ""}, format="json")
    assert missing.status_code == 400 and set(missing.json()) == {"username", "password"}
    assert not AuthToken.objects.exists()


def test_no_token_is_401_and_a_revoked_token_stops_working(api):
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert api.get("/api/v1/clients/").status_code == 401
    api.credentials()
    assert api.get("/api/v1/mentions/").status_code == 401


def test_a_token_is_only_valid_on_its_own_agency(api, agency_b):
    header = api._credentials["HTTP_AUTHORIZATION"]
    elsewhere = api_client(agency_b)
    elsewhere.credentials(HTTP_AUTHORIZATION=header)
    assert elsewhere.get("/api/v1/clients/").status_code == 401


def test_too_many_requests_answer_429_with_retry_after(api, settings):
    settings.RAPPORT_API_RATE_PER_MINUTE = 3
    statuses = [api.get("/api/v1/clients/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api.get("/api/v1/clients/")
    assert limited.status_code == 429 and 0 < int(limited["Retry-After"]) <= 60

"""Values the database would refuse are a 400 naming the field on every list and body, never a
500: one rule (``apps.core.validation``) behind the filters, the pagination and the JSON parser."""

from __future__ import annotations

import json

import pytest

from apps.clients.models import Client
from tests.accounts.factories import UserFactory
from tests.api.conftest import api_client
from tests.clients.factories import ClientFactory

LISTS = ["/api/v1/mentions/", "/api/v1/acknowledgements/", "/api/v1/clients/"]


@pytest.mark.parametrize("path", ["/api/v1/mentions/", "/api/v1/acknowledgements/"])
@pytest.mark.parametrize(
    "since", ["2026-01-01T00:00:00+23:59", "0001-01-01T00:00:00+14:00", "9999-12-31T23:00-05:00"]
)
def test_a_moment_the_database_cannot_hold_is_a_field_error(api, path, since):
    response = api.get(path, {"since": since})
    assert response.status_code == 400, response.content
    assert "since" in response.json()


@pytest.mark.parametrize("path", LISTS)
def test_a_page_beyond_the_database_range_is_a_field_error(api, path):
    response = api.get(path, {"page": "461168601842738791"})
    assert response.status_code == 400, response.content
    assert "page" in response.json()


def test_a_client_viewer_gets_the_same_400(agency_a, in_agency_a):
    client = ClientFactory()
    viewer = UserFactory(role="client_viewer")
    client.memberships.create(user=viewer, role="viewer")
    response = api_client(agency_a, viewer).get("/api/v1/clients/?page=461168601842738791")
    assert response.status_code == 400 and "page" in response.json()


def test_a_body_with_text_the_database_refuses_is_a_field_error(api):
    body = '{"name": "Acme \\ud800 Tea", "timezone": "UTC"}'
    response = api.post("/api/v1/clients/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "name" in response.json()
    nul = api.post(
        "/api/v1/clients/",
        json.dumps({"name": "Acme", "brand_accounts": [{"platform": "x", "handle": "a\x00b"}]}),
        content_type="application/json",
    )
    assert nul.status_code == 400 and "brand_accounts" in nul.json()
    assert not Client.objects.filter(name__startswith="Acme").exists()


def test_a_deeply_nested_body_is_a_parse_error(api):
    response = api.post("/api/v1/clients/", "[" * 100_000, content_type="application/json")
    assert response.status_code == 400, response.content

"""Schemathesis against ``/api/v1/schema/`` with an owner's token: no 5xx, and every response
matches the schema (bounded in examples, so the suite stays fast)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from agency.wsgi import application
from apps.tenants.services import agency_host
from tests.api.conftest import api_client
from tests.channels.factories import make_channel, store_mentions
from tests.listening.test_ingest_enrichment import said

MAX_EXAMPLES = 12


@pytest.fixture
def api_schema(in_agency_a, agency_a, owner, settings_override):
    """The schema as an integrator downloads it, served by the agency's host."""
    response = api_client(agency_a, owner).get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(response.json())
    schema.app = application
    return schema


@pytest.fixture
def settings_override(settings):
    settings.RAPPORT_API_RATE_PER_MINUTE = 1_000_000


@contextmanager
def connection_kept_open():
    """Keep the test's database connection (and its transaction) across requests, as Django's
    test client does: the real WSGI handler closes it around each request."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def headers(api_schema, agency_a, owner):
    channel = make_channel()
    store_mentions(channel, [said("1", "I love the oat latte"), said("2", "Broken app")])
    token = api_client(agency_a, owner)._credentials["HTTP_AUTHORIZATION"]
    return {"Authorization": token}


def test_the_api_answers_every_generated_request_within_its_schema(api_schema, headers, agency_a):
    base_url = f"http://{agency_host(agency_a.slug)}"
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def answers_within_schema(case):
            case.call_and_validate(
                base_url=base_url,
                headers=headers,
                checks=[not_a_server_error, response_schema_conformance],
            )

        with connection_kept_open():
            answers_within_schema()

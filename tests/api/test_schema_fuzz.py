"""Schemathesis against ``/api/v1/schema/`` with an owner's token: at least 2,000 generated
requests over every operation, not one 5xx, and every response matches the schema.

The token cannot be revoked by the run (``DELETE /api/v1/auth/token/`` gets a throw-away token of
its own) and the rate limit is lifted, so no 401 or 429 hides what a request would answer."""

from __future__ import annotations

import math
import time
from contextlib import contextmanager

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from agency.wsgi import application
from apps.tenants.services import agency_host
from tests.api.conftest import api_client
from tests.channels.factories import make_channel, store_mentions
from tests.listening.test_ingest_enrichment import said

MIN_CASES = 2_000


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


def throwaway_token(agency, user) -> dict[str, str]:
    return {"Authorization": api_client(agency, user)._credentials["HTTP_AUTHORIZATION"]}


def test_the_api_answers_every_generated_request_within_its_schema(
    api_schema, headers, agency_a, owner
):
    base_url = f"http://{agency_host(agency_a.slug)}"
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    per_operation = math.ceil(MIN_CASES / len(operations)) + 5  # duplicates are skipped
    answered: list[int] = []
    server_errors: list[str] = []

    def fuzz(operation) -> None:
        revokes_token = operation.method.upper() == "DELETE" and operation.path.endswith(
            "/auth/token/"
        )

        @given(case=operation.as_strategy())
        @settings(
            max_examples=per_operation,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],  # every case counts; no shrinking
        )
        def answers_within_schema(case):
            # DELETE auth/token/ revokes a token of its own, never the run's.
            sent = throwaway_token(agency_a, owner) if revokes_token else headers
            response = case.call(base_url=base_url, headers=sent)
            answered.append(response.status_code)
            if response.status_code >= 500:
                server_errors.append(
                    f"{case.method} {case.formatted_path} query={case.query} "
                    f"body={str(case.body)[:200]} -> {response.status_code}"
                )
                return
            case.validate_response(response, checks=[response_schema_conformance])

        with connection_kept_open():
            answers_within_schema()

    started = time.monotonic()
    for operation in operations:
        fuzz(operation)

    print(
        f"\nschemathesis: {len(answered)} cases over {len(operations)} operations, "
        f"{len(server_errors)} answered 5xx, in {time.monotonic() - started:.1f} s"
    )
    assert not server_errors, "\n".join(server_errors[:20])
    assert len(answered) >= MIN_CASES
    still = api_client(agency_a).get(
        "/api/v1/clients/", HTTP_AUTHORIZATION=headers["Authorization"]
    )
    assert still.status_code == 200  # the run's token survived every request

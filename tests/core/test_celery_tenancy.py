"""A task enqueued for an agency runs in that agency's schema on a real worker and broker."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from tenant_schemas_celery.app import CeleryApp

from agency.embedded import filesystem_broker
from tests.support import CeleryWorker, subprocess_env

pytestmark = pytest.mark.e2e


def _brokers() -> list:
    params = [pytest.param("filesystem", id="filesystem-broker")]
    if not settings.CELERY_BROKER_URL.startswith("filesystem"):
        params.append(pytest.param("configured", id="configured-broker"))
    return params


@pytest.fixture(params=_brokers())
def broker(request, tmp_path, monkeypatch):
    """(producer app, worker environment) for one broker."""
    if request.param == "filesystem":
        # Celery lets these variables override an app's configuration: hide them from the producer.
        monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
        monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
        url, options, backend = filesystem_broker(tmp_path)
        env = subprocess_env(RAPPORT_VAR_DIR=str(tmp_path))
        env.pop("CELERY_BROKER_URL", None)
        env.pop("CELERY_RESULT_BACKEND", None)
    else:
        url = settings.CELERY_BROKER_URL
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        backend = settings.CELERY_RESULT_BACKEND
        env = subprocess_env()
    producer = CeleryApp("producer", broker=url, backend=backend)
    producer.conf.broker_transport_options = options
    producer.conf.result_backend_transport_options = options
    yield producer, env
    producer.close()


def test_task_runs_in_the_schema_of_the_agency_that_enqueued_it(broker, agency_a, agency_b, db):
    producer, env = broker
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with CeleryWorker(queue, env) as worker:
        results = {}
        for agency in (agency_a, agency_b):
            with schema_context(agency.schema_name):
                results[agency.slug] = producer.send_task(
                    "apps.core.tasks.describe_agency", queue=queue
                )
        reports = {slug: result.get(timeout=60) for slug, result in results.items()}
        assert worker.process.poll() is None, "worker died"

    assert reports["alpha"] == {"schema": "alpha", "users": ["owner@alpha.test"]}
    assert reports["beta"] == {"schema": "beta", "users": ["owner@beta.test"]}

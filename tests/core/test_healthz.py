"""``/healthz`` reports the database and the broker on every host."""

import pytest
from django.conf import settings
from django.test import override_settings

from tests.conftest import host_client


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost", "unknown.localhost"])
def test_healthz_answers_200_with_database_and_broker_on_every_host(agency_a, db, host):
    response = host_client(None).get("/healthz", HTTP_HOST=host)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": {"ok": True},
        "broker": {"ok": True},
    }


def test_healthz_answers_503_when_broker_is_down(db):
    with override_settings(
        CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_BROKER_TRANSPORT_OPTIONS={}
    ):
        response = host_client(None).get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == {"ok": True}
    assert body["broker"]["ok"] is False and body["broker"]["error"]


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_healthz_answers_503_when_database_is_down(db):
    unreachable = {**settings.DATABASES["default"], "HOST": "127.0.0.1", "PORT": "1"}
    with override_settings(DATABASES={"default": unreachable}):
        response = host_client(None).get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] is False and body["database"]["error"]
    assert body["broker"] == {"ok": True}

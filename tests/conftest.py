"""Session-wide fixtures: two agencies provisioned once, the way production provisions them."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client

from apps.demo.fake_platforms import make_fake_server
from apps.tenants.models import Agency
from apps.tenants.services import agency_host, agency_provision
from tests.channels.fakeplatform import FakePlatform

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb
):
    """Create the test database for every run.

    pytest-django creates it only when a selected test uses ``db``; the end-to-end tests commit
    data for worker processes and so use no ``db`` fixture, and on their own would run against
    the real database.
    """
    from django.test.utils import setup_databases, teardown_databases

    keepdb = django_db_keepdb and not django_db_createdb
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=verbosity, interactive=False, keepdb=keepdb, aliases={"default"}
        )
    yield
    if not keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=verbosity)


def _provision(django_db_blocker, slug: str) -> Agency:
    assert connection.settings_dict["NAME"].startswith("test_"), "refusing a non-test database"
    with django_db_blocker.unblock():
        return agency_provision(
            slug=slug,
            name=f"{slug.title()} Agency",
            admin_email=f"owner@{slug}.test",
            admin_password=PASSWORD,
        )


@pytest.fixture(scope="session")
def agency_a(django_db_setup, django_db_blocker) -> Agency:
    """Agency A (``alpha``), committed once per test session."""
    return _provision(django_db_blocker, "alpha")


@pytest.fixture(scope="session")
def agency_b(django_db_setup, django_db_blocker) -> Agency:
    """Agency B (``beta``), committed once per test session."""
    return _provision(django_db_blocker, "beta")


def _enter(agency: Agency) -> Iterator[Agency]:
    connection.set_tenant(agency)
    try:
        yield agency
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def in_agency_a(db, agency_a) -> Iterator[Agency]:
    """Run the test's ORM calls inside agency A's schema (rolled back afterwards)."""
    yield from _enter(agency_a)


@pytest.fixture
def in_agency_b(db, agency_b) -> Iterator[Agency]:
    yield from _enter(agency_b)


@pytest.fixture
def platform_server() -> Iterator[FakePlatform]:
    """A local stand-in for a social platform's API (routes of canned responses)."""
    with FakePlatform() as server:
        yield server


def host_client(agency: Agency | None) -> Client:
    """A test client whose requests carry an agency's host (or the public host)."""
    from django.conf import settings

    host = agency_host(agency.slug) if agency else settings.BASE_DOMAIN
    return Client(HTTP_HOST=host)


@pytest.fixture
def fake_platforms() -> Iterator[str]:
    """The demo's platform simulator (``serve_fake_platforms``) on a free port; its base URL."""
    server = make_fake_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def client_a(db, agency_a) -> Client:
    return host_client(agency_a)


@pytest.fixture
def client_b(db, agency_b) -> Client:
    return host_client(agency_b)


@pytest.fixture
def public_client(db) -> Client:
    return host_client(None)

"""``migrate_schemas --executor=parallel`` migrates every agency in parallel processes, says
how far it is, and ends by listing the agencies that failed (exit 1) — the others are done."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.tenants.models import Agency
from tests.support import run_manage


@pytest.fixture
def broken_agency(agency_a, agency_b, django_db_blocker):
    """An agency whose schema already holds a table its first migration wants to create."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("CREATE SCHEMA broken_x")
            cursor.execute("CREATE TABLE broken_x.accounts_user (id int)")
        agency = Agency(schema_name="broken_x", slug="broken-x", name="Broken")
        agency.save(verbosity=0)
    yield agency
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        Agency.objects.filter(pk=agency.pk).delete()
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA IF EXISTS broken_x CASCADE")


def test_every_agency_is_migrated_in_parallel_with_progress(agency_a, agency_b):
    result = run_manage("migrate_schemas", "--tenant", "--executor=parallel")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "parallel:alpha]" in result.stdout and "parallel:beta]" in result.stdout
    assert "Migrated " in result.stdout and " schemas in " in result.stdout


def test_failed_agencies_are_listed_and_the_exit_code_says_so(broken_agency):
    result = run_manage("migrate_schemas", "--tenant", "--executor=parallel")
    assert result.returncode == 1
    assert "1 schema(s) failed to migrate" in result.stderr
    assert "broken_x:" in result.stderr and "alpha:" not in result.stderr

"""``create_agency`` provisions an agency in one step and refuses bad input cleanly."""

from __future__ import annotations

import subprocess

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from apps.tenants.models import Agency, Domain
from apps.tenants.services import agency_provision
from tests.conftest import host_client
from tests.support import run_manage


def _run_create_agency(*args: str) -> subprocess.CompletedProcess:
    return run_manage("create_agency", *args)


def _agency_left_behind(slug: str, schema: str) -> list[str]:
    leftovers = []
    if Agency.objects.filter(slug=slug).exists():
        leftovers.append("agency row")
    if Domain.objects.filter(domain=f"{slug}.{settings.BASE_DOMAIN}").exists():
        leftovers.append("domain")
    if schema_exists(schema):
        leftovers.append("schema")
    return leftovers


def test_create_agency_command_provisions_schema_domain_and_owner(db):
    result = _run_create_agency(
        "--slug", "gamma", "--name", "Gamma Agency",
        "--admin-email", "Owner@Gamma.test", "--admin-password", "s3cret-pass",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "http://gamma.localhost/" in result.stdout
    try:
        agency = Agency.objects.get(slug="gamma")
        assert agency.name == "Gamma Agency"
        assert Domain.objects.get(tenant=agency).domain == "gamma.localhost"
        with schema_context("gamma"):
            owner = authenticate(username="owner@gamma.test", password="s3cret-pass")
            assert owner is not None and owner.role == "owner"
        signin = host_client(agency).post(
            "/accounts/login/", {"username": "owner@gamma.test", "password": "s3cret-pass"}
        )
        assert signin.status_code == 302
    finally:
        Agency.objects.get(slug="gamma").delete(force_drop=True)


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Acme", "lowercase letters"),
        ("a", "2 to 40 characters"),
        ("x" * 41, "2 to 40 characters"),
        ("acme_co", "lowercase letters"),
        ("9lives", "start with a letter"),
        ("acme-", "end with a letter or digit"),
        ("ac--me", "single hyphens"),
        ("acme co", "lowercase letters"),
        ("www", "reserved"),
        ("api", "reserved"),
        ("admin", "reserved"),
        ("public", "reserved"),
        ("pg-catalog", "reserved"),
        ("information-schema", "reserved"),
        ("agency-template", "reserved"),
    ],
)
def test_create_agency_rejects_bad_slug_with_message(db, slug, message):
    before = _agency_left_behind(slug, slug.replace("-", "_"))  # "public" exists already
    with pytest.raises(CommandError, match=message):
        call_command(
            "create_agency", slug=slug, name="X", admin_email="o@x.test", admin_password="pw"
        )
    assert _agency_left_behind(slug, slug.replace("-", "_")) == before


def test_create_agency_rejects_duplicate_slug(agency_a, db):
    with pytest.raises(CommandError, match="agency with slug 'alpha' already exists"):
        call_command(
            "create_agency", slug="alpha", name="Again", admin_email="x@x.test", admin_password="p"
        )
    assert Agency.objects.get(slug="alpha").name == "Alpha Agency"


def test_create_agency_exits_1_with_message_and_leaves_nothing(db):
    result = _run_create_agency(
        "--slug", "www", "--name", "W", "--admin-email", "o@w.test", "--admin-password", "pw"
    )
    assert result.returncode == 1
    assert "Slug 'www' is reserved" in result.stderr
    assert _agency_left_behind("www", "www") == []


def test_failure_after_schema_clone_leaves_no_schema_or_domain(db):
    # The e-mail is checked when the owner is created, i.e. after the schema has been cloned:
    # the whole provisioning must roll back, committed from a separate process.
    result = _run_create_agency(
        "--slug", "halfmade", "--name", "Half", "--admin-email", "not-an-email",
        "--admin-password", "pw",
    )  # fmt: skip
    assert result.returncode == 1
    assert "valid email" in result.stderr
    assert _agency_left_behind("halfmade", "halfmade") == []


def test_new_agency_is_cloned_from_template_with_migrations_recorded(agency_a, db):
    def applied(schema: str) -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608
            return set(cursor.fetchall())

    template = applied(settings.TENANT_BASE_SCHEMA)
    assert ("accounts", "0001_initial") in template
    assert applied(agency_a.schema_name) == template


def test_provisioning_service_is_reusable_and_returns_the_agency(db):
    agency = agency_provision(
        slug="delta", name=" Delta ", admin_email="boss@delta.test", admin_password="pw"
    )
    assert (agency.slug, agency.name, agency.schema_name) == ("delta", "Delta", "delta")
    assert schema_exists("delta")


def _structure(schema: str) -> dict[str, set]:
    """Everything that defines a schema's shape, with the schema's own name taken out."""
    queries = {
        "columns": """
            SELECT table_name, column_name, data_type, is_nullable, column_default,
                   is_identity, is_generated
            FROM information_schema.columns WHERE table_schema = %s""",
        "constraints": """
            SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s""",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s",
        "other objects": """
            SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n
            ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('v', 'm', 'f')
            UNION ALL SELECT p.proname, 'function' FROM pg_proc p
            JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s
            UNION ALL SELECT t.tgname, 'trigger' FROM pg_trigger t JOIN pg_class c
            ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND NOT t.tgisinternal""",
    }
    result = {}
    with connection.cursor() as cursor:
        cursor.execute("SET search_path TO public")
        for key, sql in queries.items():
            cursor.execute(sql, [schema] * sql.count("%s"))
            result[key] = {
                tuple(str(v).replace(f"{schema}.", "SCHEMA.") for v in row)
                for row in cursor.fetchall()
            }
    return result


def test_cloned_agency_schema_has_exactly_the_template_structure(agency_a, db):
    template = _structure(settings.TENANT_BASE_SCHEMA)
    clone = _structure(agency_a.schema_name)
    assert template["columns"] and template["indexes"] and template["constraints"]
    assert clone == template


def test_cloned_schema_foreign_keys_point_into_the_agency_schema(in_agency_a):
    from apps.accounts.models import Team, User

    team = Team.objects.create(name="Support", slug="support")
    team.members.add(User.objects.get(email="owner@alpha.test"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT confrelid::regclass::text FROM pg_constraint "
            "WHERE conrelid = 'alpha.accounts_team_members'::regclass AND contype = 'f'"
        )
        targets = sorted(row[0] for row in cursor.fetchall())
    assert targets == ["accounts_team", "accounts_user"]  # alpha's tables (first on the path)

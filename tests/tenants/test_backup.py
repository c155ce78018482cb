"""Backups: one agency's schema dumped with ``backup_agency`` (pg_dump, custom format) and
restored with ``restore_agency`` (pg_restore) into a freshly created database, where every table
holds the same rows and the agency is routed again by its Agency and Domain rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context

from apps.acknowledgements.services import mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Client
from apps.tenants import backups
from apps.tenants.models import Agency
from apps.tenants.services import agency_provision, agency_set_white_label
from tests.channels.factories import make_channel, store_mentions
from tests.support import run_manage

LOGO = b"\x89PNG\r\n\x1a\n the agency's logo, byte for byte"

pytestmark = pytest.mark.e2e


def admin_params(dbname: str) -> dict:
    db = connection.settings_dict
    params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"],
              "password": db["PASSWORD"], "dbname": dbname}  # fmt: skip
    return {key: value for key, value in params.items() if value}


def url_of(dbname: str) -> str:
    from urllib.parse import quote

    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{dbname}"


def table_counts(conn: psycopg.Connection, schema: str) -> dict[str, int]:
    tables = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", [schema]
    ).fetchall()
    return {
        table: conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]  # noqa: S608
        for (table,) in tables
    }


@pytest.fixture
def scratch_agency(django_db_setup, django_db_blocker):
    """An agency of its own (committed, for the child processes) with mentions and a reply."""
    slug = f"bk-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        agency = agency_provision(
            slug=slug, name="Backed Up", admin_email=f"owner@{slug}.test", admin_password="pw-1"
        )
        agency_set_white_label(agency=agency, accent_colour="#0f766e", logo=(LOGO, "image/png"))
        with schema_context(agency.schema_name):
            client = Client.objects.create(name="Northwind", slug="northwind")
            channel = make_channel(client=client)
            now = datetime.now(UTC)
            store_mentions(channel, [MentionData(
                external_id=f"m-{n}", text=f"Loving the new roast #{n}",
                posted_at=now - timedelta(hours=n),
                author=AuthorData(handle=f"person{n % 4}", display_name=f"Person {n % 4}"),
            ) for n in range(25)])  # fmt: skip
            from apps.accounts.models import User
            from apps.listening.models import Mention

            owner = User.objects.get(email=f"owner@{slug}.test")
            mention = Mention.objects.order_by("pk").first()
            mention_acknowledge(mention=mention, user=owner, kind="replied_elsewhere", text="Hi!")
    yield agency
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        Agency.objects.get(pk=agency.pk).delete(force_drop=True)


@pytest.fixture
def fresh_database(django_db_setup, django_db_blocker):
    """An empty database on the same server, dropped afterwards."""
    name = f"rapport_restore_{uuid.uuid4().hex[:10]}"
    with django_db_blocker.unblock():
        admin = admin_params(connection.settings_dict["NAME"])
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_agency_backed_up_and_restored_into_a_fresh_database_has_every_row(
    scratch_agency, fresh_database, django_db_blocker, tmp_path
) -> None:
    archive = tmp_path / f"{scratch_agency.slug}.dump"
    schema = scratch_agency.schema_name

    backup = run_manage("backup_agency", "--agency", scratch_agency.slug, "--output", str(archive))
    assert backup.returncode == 0, backup.stderr
    assert archive.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert archive.with_name(archive.name + ".json").is_file()

    restore = run_manage("restore_agency", "--input", str(archive),
                         "--database-url", url_of(fresh_database))  # fmt: skip
    assert restore.returncode == 0, restore.stderr + restore.stdout

    with django_db_blocker.unblock():
        source = admin_params(connection.settings_dict["NAME"])
    with psycopg.connect(**source) as conn:
        original = table_counts(conn, schema)
    with psycopg.connect(**admin_params(fresh_database)) as conn:
        restored = table_counts(conn, schema)
        agency = conn.execute(
            "SELECT id, slug, name, accent_colour, logo, logo_type FROM public.tenants_agency "
            "WHERE schema_name = %s",
            [schema],
        ).fetchone()
        domains = conn.execute(
            "SELECT domain, is_primary FROM public.tenants_domain WHERE tenant_id = %s",
            [agency[0]],
        ).fetchall()
        # The agency's data reads back there: its mentions, who said them, the reply.
        conn.execute(f'SET search_path TO "{schema}", public')
        mentions = conn.execute(
            "SELECT count(*), count(DISTINCT author_id) FROM listening_mention"
        ).fetchone()
        found = conn.execute(
            "SELECT count(*) FROM listening_mention WHERE search_vector @@ "
            "to_tsquery('simple', 'roast')"
        ).fetchone()[0]
        replied = conn.execute(
            "SELECT a.text FROM acknowledgements_acknowledgement a "
            "JOIN listening_mention m ON m.id = a.mention_id"
        ).fetchall()
        owner = conn.execute("SELECT email FROM accounts_user").fetchall()

    assert original["listening_mention"] == 25
    for table, rows in original.items():
        assert restored.get(table) == rows, f"{table}: {rows} backed up, {restored.get(table)}"
    assert set(restored) == set(original)
    assert agency[1:] == (scratch_agency.slug, "Backed Up", "#0f766e", LOGO, "image/png")
    assert domains == [(f"{scratch_agency.slug}.localhost", True)]
    assert mentions == (25, 4) and found == 25
    assert replied == [("Hi!",)]
    assert owner == [(f"owner@{scratch_agency.slug}.test",)]


def test_restoring_twice_into_the_same_database_is_refused(
    scratch_agency, fresh_database, tmp_path
) -> None:
    archive = tmp_path / "agency.dump"
    assert run_manage("backup_agency", "--agency", scratch_agency.slug,
                      "--output", str(archive)).returncode == 0  # fmt: skip
    target = url_of(fresh_database)
    assert run_manage("restore_agency", "--input", str(archive),
                      "--database-url", target).returncode == 0  # fmt: skip

    again = run_manage("restore_agency", "--input", str(archive), "--database-url", target)

    assert again.returncode == 1
    assert "already has a schema" in again.stderr


def test_backup_of_an_unknown_agency_is_a_clear_error(django_db_setup, tmp_path) -> None:
    result = run_manage("backup_agency", "--agency", "nobody", "--output", str(tmp_path / "x"))
    assert result.returncode == 1 and "No agency with slug 'nobody'" in result.stderr


def test_missing_pg_dump_is_a_clear_error(in_agency_a, agency_a, monkeypatch, tmp_path) -> None:
    """Neither on PATH nor shipped by the pgserver wheel: the command says what to install."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(backups, "bundled_bin_dirs", lambda: [])
    connection.set_schema_to_public()

    with pytest.raises(CommandError, match="pg_dump was not found: install the PostgreSQL client"):
        call_command("backup_agency", "--agency", agency_a.slug, "--output", str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()

"""Backups of one agency's schema with pg_dump / pg_restore."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django_tenants.utils import quote_schema_name as q

from .models import Agency, Domain

# --- backups: one agency's schema, with pg_dump / pg_restore -----------------------------------
#
# ``agency_backup`` writes a ``pg_dump --format=custom`` archive of the agency's schema and, next
# to it, ``<archive>.json``: the agency's public-schema rows (Agency, Domain) and the row count of
# every table, read in the very snapshot the dump was taken from. ``agency_restore`` restores that
# archive into another database (migrating its public schema first when it is empty) and creates
# the Agency and Domain rows there. docs/backups.md gives the same steps as plain commands.

BACKUP_FORMAT = 1
_VERSION = re.compile(r"\)\s+(\d+)(?:\.(\d+))?")
_TABLE_NAMES = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1
"""
_LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
}


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says what to do."""


@dataclass(frozen=True)
class PostgresClient:
    path: str
    major: int


def bundled_bin_dirs() -> list[Path]:
    """Where the ``pgserver`` wheel (the embedded database) keeps its PostgreSQL programs."""
    spec = importlib.util.find_spec("pgserver")
    if not spec or not spec.submodule_search_locations:
        return []
    return [Path(location) / "pginstall" / "bin" for location in spec.submodule_search_locations]


def postgres_clients(name: str) -> list[PostgresClient]:
    """Every ``pg_dump`` / ``pg_restore`` found: on ``PATH`` and in the ``pgserver`` wheel (which
    ships its own binaries for the embedded database), oldest version first."""
    paths = []
    if found := shutil.which(name):
        paths.append(found)
    for folder in bundled_bin_dirs():
        bundled = folder / name
        if bundled.is_file() and os.access(bundled, os.X_OK):
            paths.append(str(bundled))
    clients = []
    for path in dict.fromkeys(paths):
        try:
            answer = subprocess.run(  # noqa: S603 - a PostgreSQL client binary, fixed arguments
                [path, "--version"], capture_output=True, text=True, timeout=30, check=True
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        if match := _VERSION.search(answer):
            clients.append(PostgresClient(path, int(match.group(1))))
    return sorted(clients, key=lambda client: client.major)


def _postgres_client(name: str, *, at_least: int) -> PostgresClient:
    clients = postgres_clients(name)
    if not clients:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client programs "
            f"(e.g. 'apt-get install postgresql-client') or put {name} on PATH."
        )
    usable = [client for client in clients if client.major >= at_least]
    if not usable:
        found = ", ".join(f"{client.path} ({client.major})" for client in clients)
        raise BackupError(
            f"{name} {at_least} or newer is needed; found only {found}. Install a newer "
            "PostgreSQL client."
        )
    return usable[0]


def _settings_env() -> dict[str, str]:
    """libpq environment variables for the database of ``settings.DATABASES['default']``."""
    db = settings.DATABASES["default"]
    params = {"host": db.get("HOST"), "port": db.get("PORT"), "user": db.get("USER"),
              "password": db.get("PASSWORD"), "dbname": db["NAME"]}  # fmt: skip
    return {_LIBPQ_ENV[k]: str(v) for k, v in params.items() if v}


def _url_env(database_url: str) -> dict[str, str]:
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(database_url)
    except Exception as error:
        raise BackupError(f"Not a database URL: {error}") from error
    return {_LIBPQ_ENV[k]: str(v) for k, v in params.items() if k in _LIBPQ_ENV and v}


def _connect(env: dict[str, str]):
    import psycopg

    params = {key: env[var] for key, var in _LIBPQ_ENV.items() if var in env}
    return psycopg.connect(**params, autocommit=True)


def _table_counts(conn, schema_name: str) -> dict[str, int]:
    tables = [name for (name,) in conn.execute(_TABLE_NAMES, [schema_name]).fetchall()]
    return {
        table: conn.execute(
            f"SELECT count(*) FROM {q(schema_name)}.{q(table)}"  # noqa: S608 - catalogue names
        ).fetchone()[0]
        for table in tables
    }


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(  # noqa: S603 - PostgreSQL client binaries with our own arguments
        command, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()}")


def manifest_path(archive: Path) -> Path:
    return archive.with_name(archive.name + ".json")


def agency_backup(*, agency: Agency, output: Path) -> dict:
    """Dump the agency's schema to ``output`` (custom format) and its manifest next to it.

    The row counts and the public rows are read in one REPEATABLE READ snapshot that pg_dump
    shares (``--snapshot``), so they describe exactly what the archive holds.
    """
    env = _settings_env()
    output = Path(output)
    with _connect(env) as conn:
        pg_dump = _postgres_client("pg_dump", at_least=conn.info.server_version // 10000)
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        row = conn.execute(
            "SELECT slug, name, schema_name, created_at, retention_days, "  # noqa: S608
            "portal_shows_staff_names, accent_colour, logo, logo_type, report_sender_name, "
            f"report_reply_to FROM public.{Agency._meta.db_table} WHERE id = %s",
            [agency.pk],
        ).fetchone()
        if row is None:
            raise BackupError(f"Agency '{agency.slug}' no longer exists.")
        domains = conn.execute(
            f"SELECT domain, is_primary FROM public.{Domain._meta.db_table} "  # noqa: S608
            "WHERE tenant_id = %s ORDER BY domain",
            [agency.pk],
        ).fetchall()
        tables = _table_counts(conn, agency.schema_name)
        _run(
            [pg_dump.path, f'--schema="{agency.schema_name}"', "--format=custom",
             f"--snapshot={snapshot}", f"--file={output}"],
            env, "pg_dump",
        )  # fmt: skip
        conn.execute("COMMIT")
    slug, name, schema_name, created_at, retention_days, shows_staff_names, *look = row
    accent_colour, logo, logo_type, sender_name, reply_to = look
    manifest = {
        "format": BACKUP_FORMAT,
        "taken_at": timezone.now().isoformat(),
        "pg_dump_major": pg_dump.major,
        "agency": {"slug": slug, "name": name, "schema_name": schema_name,
                   "created_at": created_at.isoformat(), "retention_days": retention_days,
                   "portal_shows_staff_names": shows_staff_names,
                   "accent_colour": accent_colour, "logo_type": logo_type,
                   "logo": base64.b64encode(bytes(logo)).decode() if logo else None,
                   "report_sender_name": sender_name, "report_reply_to": reply_to},
        "domains": [{"domain": domain, "is_primary": primary} for domain, primary in domains],
        "tables": tables,
    }  # fmt: skip
    manifest_path(output).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text())
    except OSError as error:
        raise BackupError(f"Cannot read the backup's manifest {path}: {error.strerror}.") from error
    except ValueError as error:
        raise BackupError(f"The backup's manifest {path} is not valid JSON: {error}.") from error
    if manifest.get("format") != BACKUP_FORMAT:
        raise BackupError(f"{path} is not a Rapport agency backup manifest (format 1).")
    return manifest


def _migrate_public_schema(database_url: str) -> None:
    """An empty database gets Rapport's public schema (tables of the shared apps)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", "--shared", "--noinput"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"Migrating the target's public schema failed: {result.stderr[-2000:]}")


def agency_restore(*, archive: Path, database_url: str, manifest: Path | None = None) -> dict:
    """Restore an ``agency_backup`` into the database at ``database_url``.

    Refuses if the target already has the schema, slug or a host name. An empty target first
    gets Rapport's public schema. Returns the manifest with ``restored_tables``: the row count
    of every restored table, read back from the target.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"No backup at {archive}.")
    manifest = _read_manifest(Path(manifest) if manifest else manifest_path(archive))
    agency, domains = manifest["agency"], manifest["domains"]
    schema_name = agency["schema_name"]
    env = _url_env(database_url)
    with _connect(env) as conn:
        pg_restore = _postgres_client("pg_restore", at_least=manifest.get("pg_dump_major", 0))
        table = f"public.{Agency._meta.db_table}"
        if conn.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None:
            _migrate_public_schema(database_url)
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema_name]).fetchone():
            raise BackupError(f"The target database already has a schema '{schema_name}'.")
        if conn.execute(
            f"SELECT 1 FROM {table} WHERE slug = %s OR schema_name = %s",  # noqa: S608
            [agency["slug"], schema_name],
        ).fetchone():
            raise BackupError(f"The target database already has an agency '{agency['slug']}'.")
        taken = conn.execute(
            f"SELECT domain FROM public.{Domain._meta.db_table} WHERE domain = ANY(%s)",  # noqa: S608
            [[d["domain"] for d in domains]],
        ).fetchall()
        if taken:
            raise BackupError(f"Host names already in use there: {', '.join(d for (d,) in taken)}.")

        _run(
            [pg_restore.path, "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction", f"--dbname={env.get('PGDATABASE', '')}", str(archive)],
            env, "pg_restore",
        )  # fmt: skip
        try:
            with conn.transaction():
                columns = ["slug", "name", "schema_name", "created_at", "retention_days",
                           "portal_shows_staff_names", "accent_colour", "logo",
                           "logo_type", "report_sender_name", "report_reply_to"]  # fmt: skip
                logo = agency.get("logo")
                agency_id = conn.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING id",
                    [
                        *(agency[column] for column in columns[:5]),
                        # backups older than a setting restore its default
                        agency.get("portal_shows_staff_names", False),
                        agency.get("accent_colour", ""),
                        base64.b64decode(logo) if logo else None,
                        agency.get("logo_type", ""),
                        agency.get("report_sender_name", ""),
                        agency.get("report_reply_to", ""),
                    ],
                ).fetchone()[0]
                for domain in domains:
                    conn.execute(
                        f"INSERT INTO public.{Domain._meta.db_table} "  # noqa: S608
                        "(domain, is_primary, tenant_id) VALUES (%s, %s, %s)",
                        [domain["domain"], domain["is_primary"], agency_id],
                    )
        except Exception:
            conn.execute(f"DROP SCHEMA {q(schema_name)} CASCADE")
            raise
        restored = _table_counts(conn, schema_name)
    return {**manifest, "restored_tables": restored}

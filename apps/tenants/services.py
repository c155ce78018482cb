"""Agency provisioning: one transaction that clones the template schema and adds the owner."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_tenants.utils import quote_schema_name as q
from django_tenants.utils import schema_context, schema_exists

from apps.core import events, outbox

from .cloning import clone_template_schema
from .models import Agency, AgencySignup, Domain
from .validators import schema_name_for, validate_agency_slug


def agency_host(slug: str) -> str:
    """The host name an agency is reached at (lower case, as domains are looked up)."""
    return f"{slug}.{settings.BASE_DOMAIN}".lower()


def _check_available(slug: str, schema_name: str, host: str) -> None:
    if (
        Agency.objects.filter(slug=slug).exists()
        or Agency.objects.filter(schema_name=schema_name).exists()
    ):
        raise ValidationError(f"An agency with slug '{slug}' already exists.")
    if Domain.objects.filter(domain=host).exists():
        raise ValidationError(f"The host '{host}' is already in use.")
    if schema_exists(schema_name, case_sensitive=False):
        raise ValidationError(f"A database schema named '{schema_name}' already exists.")


def agency_provision(
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str = "",
    admin_password_hash: str = "",
) -> Agency:
    """Create an agency: schema (cloned from the template), host name and owner user.

    The owner's password is given in clear (``admin_password``) or already hashed
    (``admin_password_hash``, as the sign-up page keeps it). Everything happens in one database
    transaction — PostgreSQL DDL is transactional — so a
    failure at any step leaves no agency row, domain or schema behind.
    """
    validate_agency_slug(slug)
    if not (admin_password or admin_password_hash):
        raise ValidationError("The owner needs a password.")
    if not name.strip():
        raise ValidationError("Agency name must not be empty.")
    schema_name = schema_name_for(slug)
    host = agency_host(slug)
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        raise ValidationError(
            f"The template schema '{template}' is missing: run 'python manage.py migrate' first."
        )

    connection.set_schema_to_public()
    with transaction.atomic():
        _check_available(slug, schema_name, host)
        agency = Agency.objects.create(slug=slug, name=name.strip(), schema_name=schema_name)
        clone_template_schema(template, schema_name)
        with schema_context(schema_name):
            events.agency_created.publish(
                agency=agency,
                owner_email=admin_email,
                owner_password=admin_password or secrets.token_urlsafe(32),
                owner_password_hash=admin_password_hash,
            )
        Domain.objects.create(domain=host, tenant=agency, is_primary=True)
    return agency


def agency_ensure_public() -> Agency:
    """Create or update the public tenant so the landing page answers on ``BASE_DOMAIN``."""
    connection.set_schema_to_public()
    public, _ = Agency.objects.get_or_create(
        schema_name="public", defaults={"slug": "public", "name": "Rapport"}
    )
    Domain.objects.update_or_create(
        tenant=public, is_primary=True, defaults={"domain": settings.BASE_DOMAIN}
    )
    return public


def agency_set_portal_staff_names(*, agency: Agency, shown: bool) -> Agency:
    """Whether the client portal names the agency's staff (off: "the <agency> team")."""
    Agency.objects.filter(pk=agency.pk).update(portal_shows_staff_names=shown)
    agency.portal_shows_staff_names = shown
    return agency


# --- self-serve sign-up on the public host ----------------------------------------------------
#
# The form stores an ``AgencySignup`` (the password already hashed) and e-mails a link; opening
# it marks the sign-up verified and queues ``provision_signup``, which provisions the agency with
# ``agency_provision``. Until then nothing exists in the agency's name but the sign-up row.

SIGNUP_HOLDS_SLUG = timedelta(days=1)  # an unverified sign-up keeps its slug from others this long


def agency_slug_problem(slug: str, *, signup: AgencySignup | None = None) -> str | None:
    """Why ``slug`` cannot be used for a new agency right now, or ``None`` when it can."""
    try:
        validate_agency_slug(slug)
        _check_available(slug, schema_name_for(slug), agency_host(slug))
    except ValidationError as error:
        return " ".join(error.messages)
    held = AgencySignup.objects.filter(
        slug=slug,
        status__in=[AgencySignup.Status.UNVERIFIED, AgencySignup.Status.PROVISIONING],
        created_at__gte=timezone.now() - SIGNUP_HOLDS_SLUG,
    )
    if signup is not None:
        held = held.exclude(pk=signup.pk)
    if held.exists():
        return f"The slug '{slug}' is taken; choose another."
    return None


def signup_allowed(*, ip_address: str | None) -> bool:
    """Count one sign-up from ``ip_address``; ``False`` once it made
    ``RAPPORT_SIGNUPS_PER_HOUR`` of them within the hour."""
    key = f"signup-rate:{ip_address or 'unknown'}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count <= settings.RAPPORT_SIGNUPS_PER_HOUR


def signup_start(
    *,
    name: str,
    slug: str,
    email: str,
    password: str,
    verify_url: Callable[[str], str],
    ip_address: str | None = None,
) -> AgencySignup:
    """Record a sign-up and e-mail its verification link (``verify_url(token)``).

    Raises ``ValidationError`` by field: an empty name, an unusable or taken slug, a bad e-mail
    address, a weak password (Django's password validators).
    """
    name, slug = name.strip(), slug.strip().lower()
    email = BaseUserManager.normalize_email(email.strip()).lower()
    errors: dict[str, str | list[str]] = {}
    if not name:
        errors["name"] = "Give your agency a name."
    if problem := agency_slug_problem(slug):
        errors["slug"] = problem
    try:
        validate_email(email)
    except ValidationError as error:
        errors["email"] = error.messages
    try:
        validate_password(password, get_user_model()(username=email, email=email))
    except ValidationError as error:
        errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    signup = AgencySignup.objects.create(
        name=name,
        slug=slug,
        email=email,
        password_hash=make_password(password),
        token=secrets.token_urlsafe(32),
        ip_address=ip_address,
    )
    context = {"signup": signup, "link": verify_url(signup.token)}
    send_mail(
        f"Confirm your e-mail to create {name} on Rapport",
        render_to_string("tenants/signup_email.txt", context),
        None,
        [email],
    )
    return signup


def signup_verify(*, token: str) -> AgencySignup:
    """The owner opened the e-mailed link: mark the sign-up verified and queue provisioning
    (once; opening the link again changes nothing). ``AgencySignup.DoesNotExist`` for an
    unknown token."""
    with transaction.atomic():
        signup = AgencySignup.objects.select_for_update().get(token=token)
        if signup.status != AgencySignup.Status.UNVERIFIED:
            return signup
        signup.verified_at = timezone.now()
        signup.status = AgencySignup.Status.PROVISIONING
        signup.save(update_fields=["verified_at", "status"])
        # Through the outbox: with the broker down the link still answers at once.
        outbox.enqueue("apps.tenants.tasks.provision_signup", signup.pk)
    return signup


def signup_provision(*, signup_id: int) -> AgencySignup:
    """Provision the agency of a verified sign-up; the outcome is kept on the sign-up."""
    signup = AgencySignup.objects.get(pk=signup_id)
    if signup.status != AgencySignup.Status.PROVISIONING:
        return signup
    try:
        if problem := agency_slug_problem(signup.slug, signup=signup):
            raise ValidationError(problem)
        agency = agency_provision(
            slug=signup.slug,
            name=signup.name,
            admin_email=signup.email,
            admin_password_hash=signup.password_hash,
        )
    except ValidationError as error:
        signup.status, signup.error = AgencySignup.Status.FAILED, " ".join(error.messages)
        signup.save(update_fields=["status", "error"])
        return signup
    signup.status, signup.agency, signup.password_hash = AgencySignup.Status.READY, agency, ""
    signup.save(update_fields=["status", "agency", "password_hash"])
    return signup


# --- data retention ----------------------------------------------------------------------------


def agency_set_retention(*, agency: Agency, days: int | None) -> Agency:
    """Keep the agency's mentions for ``days`` after they were posted; ``None`` keeps them forever.

    The daily ``purge_expired_mentions`` task then removes older mentions (see
    ``apps.listening.services.mentions_purge_expired``).
    """
    if days is not None and days < 1:
        raise ValidationError("Retention must be at least one day, or empty to keep forever.")
    agency.retention_days = days
    agency.save(update_fields=["retention_days"])
    return agency


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
            f"portal_shows_staff_names FROM public.{Agency._meta.db_table} WHERE id = %s",
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
    slug, name, schema_name, created_at, retention_days, shows_staff_names = row
    manifest = {
        "format": BACKUP_FORMAT,
        "taken_at": timezone.now().isoformat(),
        "pg_dump_major": pg_dump.major,
        "agency": {"slug": slug, "name": name, "schema_name": schema_name,
                   "created_at": created_at.isoformat(), "retention_days": retention_days,
                   "portal_shows_staff_names": shows_staff_names},
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
                           "portal_shows_staff_names"]  # fmt: skip
                agency_id = conn.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING id",
                    [
                        *(agency[column] for column in columns[:-1]),
                        # backups older than the portal setting keep staff names hidden
                        agency.get("portal_shows_staff_names", False),
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

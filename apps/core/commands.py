"""Helpers shared by management commands."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, OutputWrapper

from apps.tenants.models import Agency
from apps.tenants.selectors import agency_get_by_slug


def invalid_rows_error(
    stderr: OutputWrapper, rows: list[tuple[int, dict[str, str]]]
) -> CommandError:
    """Print a file's bad rows, one line per problem, and return the error to raise (exit 1)."""
    for row, errors in rows:
        for column, message in errors.items():
            stderr.write(f"row {row}, {column}: {message}")
    return CommandError(f"{len(rows)} invalid rows; nothing was imported.")


def agency_or_error(slug: str) -> Agency:
    """The agency with ``slug``, or the error to show on the command line (exit 1)."""
    agency = agency_get_by_slug(slug)
    if agency is None:
        raise CommandError(f"No agency with slug '{slug}'.")
    return agency


def read_or_error(path: Path) -> bytes:
    """The bytes of an input file, or the error to show on the command line (exit 1)."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error


def client_or_error(slug: str, *, agency: str):
    """The client ``slug`` of the agency whose schema is active, or the command-line error."""
    from apps.clients.models import Client

    client = Client.objects.filter(slug=slug).first()
    if client is None:
        raise CommandError(f"Agency '{agency}' has no client '{slug}'.")
    return client

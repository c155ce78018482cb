"""Helpers shared by management commands (the agency and client ones are in
``apps.tenants.commands`` and ``apps.clients.commands``)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, OutputWrapper


def invalid_rows_error(
    stderr: OutputWrapper, rows: list[tuple[int, dict[str, str]]]
) -> CommandError:
    """Print a file's bad rows, one line per problem, and return the error to raise (exit 1)."""
    for row, errors in rows:
        for column, message in errors.items():
            stderr.write(f"row {row}, {column}: {message}")
    return CommandError(f"{len(rows)} invalid rows; nothing was imported.")


def read_or_error(path: Path) -> bytes:
    """The bytes of an input file, or the error to show on the command line (exit 1)."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error

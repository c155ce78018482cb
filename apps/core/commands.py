"""Helpers shared by management commands."""

from __future__ import annotations

from django.core.management.base import CommandError, OutputWrapper


def invalid_rows_error(
    stderr: OutputWrapper, rows: list[tuple[int, dict[str, str]]]
) -> CommandError:
    """Print a file's bad rows, one line per problem, and return the error to raise (exit 1)."""
    for row, errors in rows:
        for column, message in errors.items():
            stderr.write(f"row {row}, {column}: {message}")
    return CommandError(f"{len(rows)} invalid rows; nothing was imported.")

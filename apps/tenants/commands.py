"""Helpers shared by management commands that act on one agency."""

from __future__ import annotations

from django.core.management.base import CommandError

from .models import Agency
from .selectors import agency_get_by_slug


def agency_or_error(slug: str) -> Agency:
    """The agency with ``slug``, or the error to show on the command line (exit 1)."""
    agency = agency_get_by_slug(slug)
    if agency is None:
        raise CommandError(f"No agency with slug '{slug}'.")
    return agency

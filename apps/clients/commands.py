"""Helpers shared by management commands that act on one client."""

from __future__ import annotations

from django.core.management.base import CommandError

from .models import Client


def client_or_error(slug: str, *, agency: str) -> Client:
    """The client ``slug`` of the agency whose schema is active, or the command-line error."""
    client = Client.objects.filter(slug=slug).first()
    if client is None:
        raise CommandError(f"Agency '{agency}' has no client '{slug}'.")
    return client

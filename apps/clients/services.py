"""Writes on clients and memberships."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from apps.accounts.models import User

from .models import Client, ClientMembership


def client_create(
    *,
    name: str,
    slug: str = "",
    timezone: str = "UTC",
    brand_handles: list[str] | None = None,
    keywords: list[str] | None = None,
    competitors: list[str] | None = None,
) -> Client:
    if timezone not in zoneinfo.available_timezones():
        raise ValidationError({"timezone": f"Unknown time zone '{timezone}'."})
    slug = slug or slugify(name)
    if Client.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A client with slug '{slug}' already exists."})
    return Client.objects.create(
        name=name,
        slug=slug,
        timezone=timezone,
        brand_handles=[h.strip().lstrip("@").lower() for h in brand_handles or []],
        keywords=keywords or [],
        competitors=competitors or [],
    )


def client_membership_add(*, client: Client, user: User, role: str) -> ClientMembership:
    membership, _ = ClientMembership.objects.update_or_create(
        client=client, user=user, defaults={"role": role}
    )
    return membership

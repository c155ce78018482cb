"""Reads over agencies (public schema)."""

from django.db.models import QuerySet

from .models import Agency


def agency_list() -> QuerySet[Agency]:
    """Every agency, excluding the public tenant row."""
    return Agency.objects.exclude(schema_name="public").order_by("slug")


def agency_get_by_slug(slug: str) -> Agency | None:
    return Agency.objects.filter(slug=slug).first()

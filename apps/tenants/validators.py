"""Agency slug rules: the slug becomes a host label and a PostgreSQL schema name."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
SLUG_MIN_LENGTH = 2
SLUG_MAX_LENGTH = 40


def validate_agency_slug(slug: str) -> None:
    """Raise ``ValidationError`` with a message a person can act on when ``slug`` is unusable."""
    if not SLUG_MIN_LENGTH <= len(slug) <= SLUG_MAX_LENGTH:
        raise ValidationError(
            f"Slug must be {SLUG_MIN_LENGTH} to {SLUG_MAX_LENGTH} characters long "
            f"(got {len(slug)})."
        )
    if not SLUG_PATTERN.match(slug) or "--" in slug:
        raise ValidationError(
            "Slug may contain only lowercase letters, digits and single hyphens, "
            "and must start with a letter and end with a letter or digit."
        )
    if slug in settings.RAPPORT_RESERVED_SLUGS or slug.startswith("pg-"):
        raise ValidationError(f"Slug '{slug}' is reserved; choose another.")


def schema_name_for(slug: str) -> str:
    """The PostgreSQL schema of the agency with this slug (hyphens become underscores)."""
    return slug.replace("-", "_")

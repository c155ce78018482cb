"""The demo agency every screen can be tried on (``manage.py seed_demo``)."""

from __future__ import annotations

from apps.tenants.models import Agency
from apps.tenants.selectors import agency_get_by_slug
from apps.tenants.services import agency_provision

DEMO_SLUG = "demo"
DEMO_OWNER_EMAIL = "demo@rapport.test"
DEMO_OWNER_PASSWORD = "demo"  # noqa: S105 - a public demo credential, documented in the README


def demo_seed() -> tuple[Agency, bool]:
    """Create the demo agency and its owner if missing; return (agency, created)."""
    agency = agency_get_by_slug(DEMO_SLUG)
    if agency is not None:
        return agency, False
    agency = agency_provision(
        slug=DEMO_SLUG,
        name="Demo Agency",
        admin_email=DEMO_OWNER_EMAIL,
        admin_password=DEMO_OWNER_PASSWORD,
    )
    return agency, True

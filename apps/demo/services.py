"""The demo agency every screen can be tried on (``manage.py seed_demo``).

Its clients' channels point at the local fake platforms (``manage.py serve_fake_platforms``),
so the demo fetches for real: through the connectors, the pipeline and Celery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django_tenants.utils import schema_context

from apps.accounts.models import Team, User
from apps.accounts.services import team_create, user_create
from apps.channels.models import Channel, FetchRun
from apps.channels.services import channel_create, channel_fetch
from apps.clients.models import Client
from apps.clients.services import client_create, client_membership_add
from apps.tenants.models import Agency
from apps.tenants.selectors import agency_get_by_slug
from apps.tenants.services import agency_provision

from .fake_platforms import BRANDS, demo_channels

DEMO_SLUG = "demo"
DEMO_OWNER_EMAIL = "demo@rapport.test"
DEMO_OWNER_PASSWORD = "demo"  # noqa: S105 - a public demo credential, documented in the README
DEFAULT_PLATFORMS_URL = "http://127.0.0.1:8765"
CLIENTS = {  # client slug → (time zone, competitor brand slugs)
    "northwind-coffee": ("Europe/London", ("brewhaus",)),
    "lumen-bikes": ("Europe/Berlin", ("voltcycle",)),
    "harbor-bank": ("America/New_York", ()),
}
TEAMS = ("Support", "Product", "Engineering", "HR")
PEOPLE = (  # e-mail, role, first name
    ("sam@rapport.test", User.Role.RESPONDER, "Sam"),
    ("mo@rapport.test", User.Role.MANAGER, "Mo"),
    ("dev@rapport.test", User.Role.TEAM_MEMBER, "Dev"),
    ("client@northwind.test", User.Role.CLIENT_VIEWER, "Nora"),
)
BACKFILL_PAGES = 10


@dataclass
class SeedReport:
    agency: Agency
    created: bool
    channels: int = 0
    fetched: dict[str, int] = field(default_factory=dict)  # channel name → new mentions
    failed: dict[str, str] = field(default_factory=dict)  # channel name → error


def demo_seed(*, platforms_url: str = DEFAULT_PLATFORMS_URL, fetch: bool = True) -> SeedReport:
    """Create the demo agency and its data if missing (idempotent), then fetch every channel."""
    agency = agency_get_by_slug(DEMO_SLUG)
    created = agency is None
    if created:
        agency = agency_provision(
            slug=DEMO_SLUG,
            name="Demo Agency",
            admin_email=DEMO_OWNER_EMAIL,
            admin_password=DEMO_OWNER_PASSWORD,
        )
    report = SeedReport(agency=agency, created=created)
    with schema_context(agency.schema_name):
        channels = _seed_workspace(platforms_url)
        report.channels = len(channels)
        if fetch:
            for channel in channels:
                if channel.is_pulled:
                    run = channel_fetch(channel_id=channel.pk, trigger=FetchRun.Trigger.MANUAL)
                    if run.error_message:
                        report.failed[channel.name] = run.error_message
                    else:
                        report.fetched[channel.name] = run.new
    return report


@transaction.atomic
def _seed_workspace(platforms_url: str) -> list[Channel]:
    for name in TEAMS:
        if not Team.objects.filter(name=name).exists():
            team_create(name=name)
    for email, role, first_name in PEOPLE:
        if not User.objects.filter(email=email).exists():
            user_create(email=email, password=DEMO_OWNER_PASSWORD, role=role, first_name=first_name)
    for slug, (timezone, competitors) in CLIENTS.items():
        brand = BRANDS[slug]
        if not Client.objects.filter(slug=slug).exists():
            client_create(
                name=brand.name,
                slug=slug,
                timezone=timezone,
                brand_handles=[brand.handle],
                keywords=[brand.name.lower(), *brand.products[:2]],
                competitors=[BRANDS[c].name for c in competitors],
            )
    viewer = User.objects.get(email="client@northwind.test")
    client_membership_add(client=Client.objects.get(slug="northwind-coffee"), user=viewer,
                          role="viewer")  # fmt: skip

    competitor_of = {c: slug for slug, (_, competitors) in CLIENTS.items() for c in competitors}
    channels = []
    for spec in demo_channels(platforms_url):
        client = Client.objects.get(slug=competitor_of.get(spec["client"], spec["client"]))
        name = spec["name"] if spec["client"] in CLIENTS else f"Competitor: {spec['name']}"
        channel = Channel.objects.filter(client=client, name=name).first()
        if channel is None:
            channel = channel_create(
                client=client,
                platform=spec["platform"],
                name=name,
                config={**spec["config"], "backfill_pages": BACKFILL_PAGES},
                credentials=spec["credentials"],
                listen_only=spec["listen_only"],
                fetch_interval_minutes=5,
                purpose="Competitor, for share of voice" if client.slug != spec["client"] else "",
            ).channel
        channels.append(channel)
    return channels

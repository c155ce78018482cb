"""The demo agency every screen can be tried on (``manage.py seed_demo``).

Its clients' channels point at the local fake platforms (``manage.py serve_fake_platforms``),
so the demo fetches for real: through the connectors, the pipeline and Celery.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts.models import Team, User
from apps.accounts.services import team_create, user_create
from apps.acknowledgements.models import Acknowledgement, RoutingRule, SavedReply, SlaPolicy
from apps.acknowledgements.services import (
    advocates_refresh,
    mentions_acknowledge,
    saved_reply_create,
    sla_breaches_detect,
)
from apps.channels.models import Channel, FetchRun
from apps.channels.services import channel_create, channel_fetch
from apps.clients.models import Client
from apps.clients.services import (
    client_accounts_set,
    client_create,
    client_membership_add,
    customer_import_csv,
)
from apps.listening.models import ListeningQuery, Mention
from apps.listening.services import mentions_rescore, query_create
from apps.listening.signal_services import signals_refresh
from apps.tenants.models import Agency
from apps.tenants.selectors import agency_get_by_slug
from apps.tenants.services import agency_provision

from .fake_platforms import BRANDS, brand_accounts, demo_channels

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
QUERIES = {  # client slug → (name, expression, is_competitor)
    "northwind-coffee": (
        ("Coffee and drinks", '(latte OR espresso OR "cold brew" OR "flat white" OR oat*) -decaf',
         False),
        ("Orders and subscription", "subscription OR order* OR delivery OR charged OR refund*",
         False),
        ("Cafés and staff", "café OR cafe OR barista* OR queue OR staff", False),
        ("Brewhaus", "brewhaus OR #brewhaus OR @brewhaus", True),
    ),
    "lumen-bikes": (
        ("Battery and motor", "battery OR charger OR motor OR range", False),
        ("Lumen app", '(app OR "lumen app") AND (pair* OR update OR crash*)', False),
        ("Service and dealers", "service OR showroom OR dealer* OR repair*", False),
        ("VoltCycle", "voltcycle OR @voltcycle", True),
    ),
    "harbor-bank": (
        ("Cards and payments", "card OR payment* OR charged OR fee*", False),
        ("App and login", "app OR login OR password OR \"face id\"", False),
        ("Branches", "branch OR teller OR queue OR mortgage", False),
    ),
}  # fmt: skip
CUSTOMERS_PER_CLIENT = 12
HOLIDAYS = {"northwind-coffee": ("GB", "ENG"), "lumen-bikes": ("DE", "BE"),
            "harbor-bank": ("US", "NY")}  # fmt: skip
SEGMENTS = ("VIP", "Regular", "New", "At risk")
ROUND_SECONDS = 6 * 3600
DEMO_REPLIES = (  # personal: each names the person ({first_name} is filled per mention)
    "Thanks {first_name}, that is really kind of you — we will pass it to the team.",
    "{first_name}, sorry about that. We have looked into it and it is sorted now.",
    "Good catch {first_name}! Fixed, and thank you for telling us.",
    "Hi {first_name}, we sent you a message with the details.",
)
SAVED_REPLIES = (
    ("Thank you", "Thanks {first_name}, that made our day!"),
    ("Looking into it", "{first_name}, sorry about this — we are looking into it now."),
    ("Move to DM", "Hi {handle}, could you send us a direct message with your order number?"),
)


@dataclass
class SeedReport:
    agency: Agency
    created: bool
    channels: int = 0
    fetched: dict[str, int] = field(default_factory=dict)  # channel name → new mentions
    customers: int = 0
    acknowledged: int = 0
    rescored: int = 0
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
        _seed_saved_replies()
        report.channels = len(channels)
        if fetch:
            for channel in channels:
                if channel.is_pulled:
                    run = channel_fetch(channel_id=channel.pk, trigger=FetchRun.Trigger.MANUAL)
                    if run.error_message:
                        report.failed[channel.name] = run.error_message
                    else:
                        report.fetched[channel.name] = run.new
            # Mentions stored before intents existed (an older demo) get sentiment and intent
            # from today's model; people's corrections stay.
            report.rescored = mentions_rescore(unscored_only=True)
            report.customers = _seed_customers()
            report.acknowledged = _seed_acknowledgements()
        signals_refresh()  # corrects a demo stored before today's rules (idempotent)
    return report


def _seed_acknowledgements() -> int:
    """Answer most of each client's older mentions within hours of their posting, by name, as a
    good agency would (so the people who come back happy become advocates); leave the newest
    for the inbox."""
    if Acknowledgement.objects.exists():
        return 0
    sam, mo = User.objects.get(email="sam@rapport.test"), User.objects.get(email="mo@rapport.test")
    now = timezone.now()
    cutoff = now - timedelta(days=2)
    answered = 0
    for client in Client.objects.filter(slug__in=CLIENTS):
        open_mentions = list(
            Mention.objects.filter(
                client=client, needs_acknowledgement=True, status__in=("new", "assigned"),
                posted_at__lt=cutoff,
            ).select_related("author", "channel").order_by("posted_at")
        )  # fmt: skip
        chosen = [m for n, m in enumerate(open_mentions) if n % 5 != 0]  # one in five missed
        # Answered in rounds, one per six hours of posting, minutes to hours after the round's
        # last mention: replies made elsewhere (named), some resolved internally; Sam and Mo.
        rounds: dict[int, list[Mention]] = defaultdict(list)
        for mention in chosen:
            rounds[int(mention.posted_at.timestamp()) // ROUND_SECONDS].append(mention)
        for n, batch in enumerate(rounds.values()):
            delay = timedelta(minutes=5 + (n * 37) % (60 * (1 + n % 12)))
            mentions_acknowledge(
                mentions=batch, user=mo if n % 4 == 0 else sam,
                kind="replied_elsewhere" if n % 3 else "resolved_internally",
                text=DEMO_REPLIES[n % len(DEMO_REPLIES)] if n % 3 else "",
                at=min(batch[-1].posted_at + delay, now),
            )  # fmt: skip
        answered += len(chosen)
    advocates_refresh()
    sla_breaches_detect(notify=False)  # the ones missed: history, nobody to wake up for them
    return answered


def _seed_saved_replies() -> None:
    owner = User.objects.get(email=DEMO_OWNER_EMAIL)
    if not SavedReply.objects.exists():
        for title, text in SAVED_REPLIES:
            saved_reply_create(title=title, text=text, user=owner)


def _seed_customers() -> int:
    """Make each client's most active authors its CRM customers, through the real CSV import."""
    imported = 0
    for client in Client.objects.filter(slug__in=CLIENTS):
        if client.customers.exists():
            continue
        authors = (
            Mention.objects.filter(client=client, needs_acknowledgement=True)
            .exclude(author__handle__contains=" ")  # review sites' display names are no handles
            .values("author__platform", "author__handle", "author__display_name")
            .annotate(said=Count("id"))
            .order_by("-said", "author__handle")[:CUSTOMERS_PER_CLIENT]
        )
        rows = io.StringIO()
        writer = csv.writer(rows)
        writer.writerow(["name", "email", "handles", "lifetime_value", "segment", "tags"])
        for rank, author in enumerate(authors):
            name = author["author__display_name"] or author["author__handle"]
            writer.writerow([
                name, f"customer{rank + 1}@{client.slug}.test",
                f"{author['author__platform']}:{author['author__handle']}",
                f"{2400 - rank * 170}.00", SEGMENTS[rank % len(SEGMENTS)],
                "newsletter;loyalty" if rank % 2 else "loyalty",
            ])  # fmt: skip
        result = customer_import_csv(client=client, file_bytes=rows.getvalue().encode())
        imported += result.created
    return imported


@transaction.atomic
def _seed_workspace(platforms_url: str) -> list[Channel]:
    for name in TEAMS:
        if not Team.objects.filter(name=name).exists():
            team_create(name=name)
    for email, role, first_name in PEOPLE:
        if not User.objects.filter(email=email).exists():
            user_create(email=email, password=DEMO_OWNER_PASSWORD, role=role, first_name=first_name)
    for slug, (zone, competitors) in CLIENTS.items():
        brand = BRANDS[slug]
        # The brand answers from its own accounts; its competitors' accounts are listened to.
        accounts = {
            "brand_accounts": brand_accounts(slug),
            "competitor_accounts": [
                {**account, "competitor": BRANDS[c].name}
                for c in competitors
                for account in brand_accounts(c)
            ],
        }
        client = Client.objects.filter(slug=slug).first()
        if client is None:
            client_create(
                name=brand.name,
                slug=slug,
                timezone=zone,
                brand_handles=[brand.handle],
                keywords=[brand.name.lower(), *brand.products[:2]],
                competitors=[BRANDS[c].name for c in competitors],
                **accounts,
            )
        elif not client.accounts.filter(source="manual").exists():  # a demo seeded before
            client_accounts_set(client=client, **accounts)
    viewer = User.objects.get(email="client@northwind.test")
    client_membership_add(client=Client.objects.get(slug="northwind-coffee"), user=viewer,
                          role="viewer")  # fmt: skip

    for slug, queries in QUERIES.items():
        client = Client.objects.get(slug=slug)
        for name, expression, is_competitor in queries:
            if not ListeningQuery.objects.filter(client=client, name=name).exists():
                query_create(
                    client=client, name=name, expression=expression, is_competitor=is_competitor
                )

    engineering = Team.objects.get(name="Engineering")
    support = Team.objects.get(name="Support")
    for slug, (zone, _) in CLIENTS.items():
        client = Client.objects.get(slug=slug)
        SlaPolicy.objects.get_or_create(
            client=client,
            defaults={"timezone": zone, "holiday_country": HOLIDAYS[slug][0],
                      "holiday_subdivision": HOLIDAYS[slug][1]},
        )  # fmt: skip
        if not client.routing_rules.exists():
            RoutingRule.objects.create(
                client=client, name="Bugs and crashes to engineering", position=1,
                keywords=["bug", "crash", "crashes", "app"], sentiment_below=-0.05,
                set_team=engineering, set_priority="high",
            )  # fmt: skip
            RoutingRule.objects.create(
                client=client, name="Unhappy customers first", position=2,
                author_is_customer=True, sentiment_below=-0.05, set_priority="urgent",
                set_team=support,
            )  # fmt: skip
    dev = User.objects.get(email="dev@rapport.test")
    engineering.members.add(dev)

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

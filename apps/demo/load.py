"""Synthetic load for benchmarks and capacity tests (``manage.py generate_load``): agencies
provisioned the way production provisions them, each with clients, channels and mentions
``COPY``-ed in (sentiment labelled, most acknowledged), fast enough for millions of rows."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django_tenants.utils import schema_context

from apps.channels.services import channel_create
from apps.clients.services import client_create
from apps.core.db import copy_rows
from apps.listening.models import Author, Mention
from apps.listening.priority import mentions_priority_refresh
from apps.tenants.selectors import agency_get_by_slug
from apps.tenants.services import agency_provision

TEXTS = (
    ("Loving the new {} from {}, brilliant!", 0.6, "positive"),
    ("{} from {} arrived broken, not happy", -0.5, "negative"),
    ("Does {} from {} ship to Ireland?", 0.0, "neutral"),
)
PRODUCTS = ("latte", "bike", "card", "app", "croissant")


@dataclass
class LoadReport:
    agencies: int = 0
    created: int = 0
    mentions: int = 0


def load_generate(
    *, agencies: int, mentions: int, clients: int = 3, prefix: str = "load", days: int = 90,
    seed: int = 1,
) -> LoadReport:  # fmt: skip
    """Agencies ``<prefix>-1`` … ``<prefix>-<agencies>`` (existing ones are kept and skipped),
    each with ``clients`` clients and ``mentions`` mentions over the last ``days`` days."""
    rng = random.Random(seed)
    report = LoadReport()
    for n in range(1, agencies + 1):
        slug = f"{prefix}-{n}"
        report.agencies += 1
        if agency_get_by_slug(slug) is not None:
            continue
        agency = agency_provision(
            slug=slug, name=f"Load Agency {n}", admin_email=f"owner@{slug}.test",
            admin_password=f"{slug}-password-{rng.random()}",
        )  # fmt: skip
        report.created += 1
        with schema_context(agency.schema_name), transaction.atomic():
            report.mentions += _fill(rng, mentions=mentions, clients=clients, days=days)
    return report


def _fill(rng: random.Random, *, mentions: int, clients: int, days: int) -> int:
    targets = []
    for c in range(clients):
        client = client_create(name=f"Brand {c + 1}")
        channel = channel_create(client=client, platform="webhook", name="Push", config={})
        targets.append((client.pk, channel.channel.pk, client.name))
    people = Author.objects.bulk_create(
        Author(platform="webhook", handle=f"person{p}", followers=rng.randint(0, 50_000))
        for p in range(max(10, mentions // 20))
    )
    now = datetime.now(UTC)
    span = timedelta(days=days).total_seconds()

    def rows():
        for m in range(mentions):
            client_id, channel_id, brand = targets[m % len(targets)]
            text, score, label = TEXTS[m % len(TEXTS)]
            posted = now - timedelta(seconds=span * (mentions - m) / mentions)
            answered = m % 5 != 0
            minutes = round(rng.expovariate(1 / 60), 1)
            yield {
                "client_id": client_id, "channel_id": channel_id, "platform": "webhook",
                "external_id": f"load-{m}", "author_id": people[m % len(people)].pk,
                "text": text.format(PRODUCTS[m % len(PRODUCTS)], brand), "language": "en",
                "posted_at": posted, "fetched_at": posted, "sentiment": label,
                "sentiment_score": score, "status": "acknowledged" if answered else "new",
                "acknowledged_at": posted + timedelta(minutes=minutes) if answered else None,
                "time_to_acknowledge_minutes": minutes if answered else None,
            }  # fmt: skip

    with connection.cursor() as cursor:
        copied = copy_rows(cursor, Mention, rows())
    mentions_priority_refresh()  # COPY bypasses ingest: score them in one UPDATE
    return copied

"""What unites a client's community: the period's topics (phrases and their trend), cached per
client until its mentions change."""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Q

from apps.clients.models import Client
from apps.listening.models import Mention, normalise_handle
from apps.reporting.selectors import Period

from . import phrases
from .models import Person, PersonAuthor

TOPICS = 6
PHRASES_PER_TOPIC = 4
MIN_PHRASE_MENTIONS = 2
SAMPLE_MENTIONS = 20


# --- what unites them ---------------------------------------------------------------------------

MAX_TOPIC_MENTIONS = 20_000  # the period's newest mentions read for topics


def _phrases_of(*, client: Client, start: datetime, end: datetime):
    """``{phrase: [(mention id, author id, sentiment score)]}`` of the customers' mentions."""
    brand = {normalise_handle(h) for h in client.brand_handles}
    exclude = phrases.brand_words(client.name, *client.brand_handles)
    rows = (
        Mention.objects.filter(
            client=client, posted_at__gte=start, posted_at__lt=end, is_spam=False
        )
        .exclude(author__handle__in=brand)
        .order_by("-posted_at")
        .values_list("pk", "author_id", "sentiment_score", "text")[:MAX_TOPIC_MENTIONS]
    )
    found: dict[str, list[tuple[int, int, float | None]]] = defaultdict(list)
    for pk, author_id, score, text in rows:
        for phrase in phrases.key_phrases(text, exclude=exclude):
            found[phrase].append((pk, author_id, score))
    return found


def _previous_volumes(
    *, client: Client, period: Period, groups: list[list[str]]
) -> dict[tuple[str, ...], int]:
    """How many of the customers' mentions of ``period`` said any phrase of each group: one
    aggregate, the database matching the phrases as whole words."""
    brand = {normalise_handle(h) for h in client.brand_handles}
    patterns = {
        f"g{n}": r"\y(" + "|".join(re.escape(p).replace(r"\ ", " ") for p in group) + r")\y"
        for n, group in enumerate(groups)
    }
    counts = (
        Mention.objects.filter(
            client=client, posted_at__gte=period.start, posted_at__lt=period.end, is_spam=False
        )
        .exclude(author__handle__in=brand)
        .aggregate(
            **{
                key: Count("pk", filter=Q(text__iregex=pattern))
                for key, pattern in patterns.items()
            }
        )
    )
    return {tuple(group): counts[f"g{n}"] for n, group in enumerate(groups)}


def _trend(volume: int, previous: int) -> str:
    if not previous:
        return "new" if volume else "steady"
    change = (volume - previous) / previous
    if change >= 0.25 and volume - previous >= 2:
        return "rising"
    if change <= -0.2:
        return "falling"
    return "steady"


TOPICS_CACHE_SECONDS = 300


def community_version(client_id: int) -> str:
    """What the cached community figures of a client are keyed by: changes as mentions arrive
    (``community_forget``)."""
    key = f"community:version:{client_id}"
    version = cache.get(key)
    if version is None:
        version = uuid.uuid4().hex
        cache.set(key, version, None)
    return f"{client_id}:{version}"


def community_forget(client_id: int) -> None:
    """Drop a client's cached topics and helpers (new mentions arrived)."""
    cache.delete(f"community:version:{client_id}")


def community_topics(*, client: Client, period: Period, topics: int = TOPICS) -> list[dict]:
    """The period's topics: its most used key phrases grouped by a word they share, each with
    its volume (mentions), average sentiment, trend against the previous period, the people
    most active in it and sample mention ids (newest first). Cached for five minutes (the
    dashboard and the community page read the same; the key carries the agency)."""
    key = f"community:topics:{community_version(client.pk)}:{period.since}:{period.until}:{topics}"
    cached = cache.get(key)
    if cached is None:
        cached = _community_topics(client=client, period=period, topics=topics)
        cache.set(key, cached, TOPICS_CACHE_SECONDS)
    return cached


def dashboard_topics(*, client: Client, period: Period) -> dict[str, list[dict]]:
    """The topics panel of the client's dashboard (``events.dashboard_panels``)."""
    return {"topics": community_topics(client=client, period=period)}


def _community_topics(*, client: Client, period: Period, topics: int) -> list[dict]:
    found = _phrases_of(client=client, start=period.start, end=period.end)
    ranked = sorted(
        ((phrase, uses) for phrase, uses in found.items() if len(uses) >= MIN_PHRASE_MENTIONS),
        key=lambda item: (-len(item[1]), item[0]),
    )[: topics * 10]
    weight: Counter[str] = Counter()
    for phrase, uses in ranked:
        for word in phrase.split():
            weight[word] += len(uses)
    # A topic is anchored by phrases said at least twice; rarer phrases with its word join it.
    everything = sorted(found, key=lambda p: (-len(found[p]), p))
    taken: set[str] = set()
    groups: list[list[str]] = []
    for word, _ in weight.most_common():
        if len(groups) == topics:
            break
        if all(p in taken for p, _ in ranked if word in p.split()):
            continue
        group = [p for p in everything if p not in taken and word in p.split()]
        group = group[:PHRASES_PER_TOPIC]
        taken.update(group)
        groups.append(group)
    if not groups:
        return []
    before = _previous_volumes(client=client, period=period.previous(), groups=groups)
    authors = {a for group in groups for p in group for _, a, _ in found[p]}
    person_of = dict(
        PersonAuthor.objects.filter(client=client, author_id__in=authors).values_list(
            "author_id", "person_id"
        )
    )
    names = dict(Person.objects.filter(pk__in=set(person_of.values())).values_list("pk", "name"))
    result = []
    for group in groups:
        uses = {pk: (author, score) for p in group for pk, author, score in found[p]}
        scores = [score for _, score in uses.values() if score is not None]
        previous = before[tuple(group)]
        active = Counter(person_of.get(author) for author, _ in uses.values())
        active.pop(None, None)
        result.append(
            {
                "label": group[0],
                "phrases": group,
                "volume": len(uses),
                "sentiment": round(sum(scores) / len(scores), 3) if scores else None,
                "trend": _trend(len(uses), previous),
                "previous_volume": previous,
                "people": [
                    {"person": pk, "name": names.get(pk, ""), "mentions": n}
                    for pk, n in active.most_common(3)
                ],
                "mention_ids": sorted(uses, reverse=True)[:SAMPLE_MENTIONS],
            }
        )
    result.sort(key=lambda t: (-t["volume"], t["label"]))
    return result

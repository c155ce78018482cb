"""Reads on people: who a person is across platforms, their mentions and summary, and the
suggested links between authors."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q, QuerySet

from apps.accounts.models import User
from apps.clients.selectors import client_list, of_clients_seen
from apps.listening.models import Mention

from .models import Person, PersonAuthor, PersonLinkSuggestion
from .topics import MAX_TOPIC_MENTIONS as MAX_TOPIC_MENTIONS
from .topics import MIN_PHRASE_MENTIONS as MIN_PHRASE_MENTIONS
from .topics import PHRASES_PER_TOPIC as PHRASES_PER_TOPIC
from .topics import SAMPLE_MENTIONS as SAMPLE_MENTIONS
from .topics import TOPICS as TOPICS
from .topics import TOPICS_CACHE_SECONDS as TOPICS_CACHE_SECONDS
from .topics import community_forget as community_forget
from .topics import community_topics as community_topics
from .topics import community_version as community_version

# --- people -------------------------------------------------------------------------------------


def person_list(*, user: User, filters: dict | None = None) -> QuerySet[Person]:
    """People of the clients ``user`` may see (team members: none), with their authors;
    ``filters``: ``client`` (id), ``q`` (name or handle contains)."""
    if user.role == User.Role.TEAM_MEMBER:
        return Person.objects.none()
    people = (
        Person.objects.filter(client__in=client_list(user=user))
        # a person whose every author went (retention, erasure) is nobody any more
        .filter(Exists(PersonAuthor.objects.filter(person=OuterRef("pk"))))
        .select_related("customer", "client")
    )
    filters = filters or {}
    if filters.get("client") is not None:
        people = people.filter(client_id=filters["client"])
    text = (filters.get("q") or "").strip()
    if text:
        people = people.filter(
            Q(name__icontains=text) | Q(links__author__handle__icontains=text.lstrip("@"))
        ).distinct()
    return people.prefetch_related(
        Prefetch(
            "links",
            queryset=PersonAuthor.objects.select_related("author").order_by("author_id"),
        )
    ).order_by("name", "pk")


def person_get(*, user: User, person_id: int) -> Person:
    """A person the user may see; ``Person.DoesNotExist`` otherwise (→ 404)."""
    return person_list(user=user).get(pk=person_id)


def person_of_author(*, user: User, client_id: int, author_id: int) -> Person | None:
    """The person an author is for a client the user may see (None if not linked yet)."""
    links = PersonAuthor.objects.filter(client_id=client_id, author_id=author_id)
    link = of_clients_seen(links, user=user).select_related("person").first()
    return link.person if link else None


def person_mentions(*, person: Person) -> QuerySet[Mention]:
    """Everything the person said to or about their client, on every channel, newest first."""
    return (
        Mention.objects.filter(
            client_id=person.client_id,
            author_id__in=person.links.values("author_id"),
        )
        .select_related("author", "channel")
        .order_by("-posted_at", "-pk")
    )


@dataclass
class PersonSummary:
    """The figures of a person's page."""

    mentions: int
    first_at: datetime | None
    last_at: datetime | None
    needing: int
    acknowledged: int
    median_minutes: float | None
    sentiment_by_month: list[tuple[str, float, int]]  # (YYYY-MM, average score, mentions)
    influence: float
    followers: int
    value: object  # the CRM's lifetime value, or None
    channels: list[tuple[str, int]] = field(default_factory=list)  # (channel name, mentions)


def person_summary(*, person: Person) -> PersonSummary:
    """How much the person said, how (fast) they were acknowledged, their sentiment over time,
    value and influence."""
    mentions = person_mentions(person=person).order_by()
    totals = mentions.aggregate(
        n=Count("pk"), first=Min("posted_at"), last=Max("posted_at"),
        needing=Count("pk", filter=Q(needs_acknowledgement=True)),
        acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
    )  # fmt: skip
    times = sorted(
        t
        for t in mentions.filter(time_to_acknowledge_minutes__isnull=False).values_list(
            "time_to_acknowledge_minutes", flat=True
        )
    )
    median = times[len(times) // 2] if times else None
    months: dict[str, list[float]] = defaultdict(list)
    for posted_at, score in mentions.values_list("posted_at", "sentiment_score"):
        if score is not None:
            months[posted_at.strftime("%Y-%m")].append(score)
    channels = Counter(mentions.values_list("channel__name", flat=True))
    authors = [link.author for link in person.links.all()]
    return PersonSummary(
        mentions=totals["n"],
        first_at=totals["first"],
        last_at=totals["last"],
        needing=totals["needing"],
        acknowledged=totals["acknowledged"],
        median_minutes=None if median is None else round(median, 1),
        sentiment_by_month=[
            (month, round(sum(s) / len(s), 3), len(s)) for month, s in sorted(months.items())
        ],
        influence=max((a.influence for a in authors), default=0),
        followers=sum(a.followers or 0 for a in authors),
        value=person.customer.lifetime_value if person.customer else None,
        channels=channels.most_common(),
    )


def link_suggestions(*, person: Person, pending_only: bool = True):
    """Suggested links between this person's authors and other people's, with their evidence:
    ``[(suggestion, mine, theirs, other_person)]``."""
    mine = set(person.links.values_list("author_id", flat=True))
    suggestions = PersonLinkSuggestion.objects.filter(client_id=person.client_id).filter(
        Q(author_id__in=mine) | Q(other_author_id__in=mine)
    )
    if pending_only:
        suggestions = suggestions.filter(status=PersonLinkSuggestion.Status.PENDING)
    suggestions = list(suggestions.select_related("author", "other_author"))
    involved = {s.author_id for s in suggestions} | {s.other_author_id for s in suggestions}
    others = {
        link.author_id: link.person
        for link in PersonAuthor.objects.filter(
            client_id=person.client_id, author_id__in=involved
        ).select_related("person")
    }
    rows = []
    for suggestion in suggestions:
        a, b = suggestion.author, suggestion.other_author
        theirs = b if a.pk in mine else a
        own = a if a.pk in mine else b
        other_person = others.get(theirs.pk)
        if other_person is None or other_person.pk == person.pk:
            continue
        rows.append((suggestion, own, theirs, other_person))
    return rows


def link_suggestion_get(*, user: User, suggestion_id: int) -> PersonLinkSuggestion:
    """A suggestion of a client the user may see; ``DoesNotExist`` otherwise (→ 404)."""
    if user.role == User.Role.TEAM_MEMBER:
        raise PersonLinkSuggestion.DoesNotExist
    return PersonLinkSuggestion.objects.get(pk=suggestion_id, client__in=client_list(user=user))


def pending_suggestion_count(*, client_ids) -> int:
    return PersonLinkSuggestion.objects.filter(
        client_id__in=client_ids, status=PersonLinkSuggestion.Status.PENDING
    ).count()

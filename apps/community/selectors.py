"""Reads on people and on a client's community, scoped to what the user may see.

The community of a period: who answers whom (replies carry ``parent_external_id``), the
community helpers, what people talk about (topics of key phrases) and the conversation map.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.clients.models import Client
from apps.clients.selectors import client_list
from apps.listening.models import Author, Mention, normalise_handle
from apps.reporting.selectors import Period

from . import phrases
from .models import Person, PersonAuthor, PersonLinkSuggestion

HELPER_MIN_ANSWERS = 2  # answers in the period that make a community helper
TOPICS = 6
PHRASES_PER_TOPIC = 4
MIN_PHRASE_MENTIONS = 2
SAMPLE_MENTIONS = 20
MAP_PEOPLE = 12


# --- who is the brand ---------------------------------------------------------------------------


def brand_author_ids(*, client: Client, author_ids: set[int]) -> set[int]:
    """Which of ``author_ids`` are the brand's own accounts (their replies never count as the
    community's): authors ingest marked as a brand account (``Author.account_role``, from the
    client's ``brand_accounts``) and the client's ``brand_handles`` on every platform."""
    return _accounts(author_ids, role="brand", handles=client.brand_handles)


def competitor_author_ids(*, client: Client, author_ids: set[int]) -> set[int]:
    """Which of ``author_ids`` are competitors' accounts: marked so at ingest (the client's
    ``competitor_accounts``) or named like one of its competitors."""
    names = [c.replace(" ", "") for c in client.competitors]
    return _accounts(author_ids, role="competitor", handles=names)


def _accounts(author_ids: set[int], *, role: str, handles) -> set[int]:
    if not author_ids:
        return set()
    handles = {normalise_handle(handle) for handle in handles}
    named = Q(account_role=role) | (Q(handle__in=handles) if handles else Q(pk__in=[]))
    return set(Author.objects.filter(named, pk__in=author_ids).values_list("pk", flat=True))


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
    link = (
        PersonAuthor.objects.filter(
            client_id=client_id, author_id=author_id, client__in=client_list(user=user)
        )
        .select_related("person")
        .first()
    )
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


# --- who answers whom ---------------------------------------------------------------------------

# Replies and what they answer, in the same channel: replies posted in the period, and replies
# to mentions posted in the period (however late).
_EXCHANGES = f"""
    SELECT r.id, r.author_id, r.posted_at, r.sentiment, r.text, r.is_spam,
           p.id, p.author_id, p.posted_at, p.sentiment, p.text, p.is_spam, p.acknowledged_at
    FROM {Mention._meta.db_table} r
    JOIN {Mention._meta.db_table} p
      ON p.channel_id = r.channel_id AND p.external_id = r.parent_external_id
    WHERE r.client_id = %(client)s AND r.parent_external_id <> ''
      AND r.posted_at >= %(start)s AND r.posted_at < %(end)s
    UNION
    SELECT r.id, r.author_id, r.posted_at, r.sentiment, r.text, r.is_spam,
           p.id, p.author_id, p.posted_at, p.sentiment, p.text, p.is_spam, p.acknowledged_at
    FROM {Mention._meta.db_table} p
    JOIN {Mention._meta.db_table} r
      ON r.channel_id = p.channel_id AND r.parent_external_id = p.external_id
         AND r.parent_external_id <> ''
    WHERE p.client_id = %(client)s AND p.posted_at >= %(start)s AND p.posted_at < %(end)s
"""  # noqa: S608 - table names come from model metadata; values are parameters


@dataclass(frozen=True)
class Said:
    mention_id: int
    author_id: int
    posted_at: datetime
    sentiment: str
    text: str
    is_spam: bool


@dataclass(frozen=True)
class Exchange:
    """A reply (``reply``) to a mention (``to``), with the people behind them."""

    reply: Said
    to: Said
    to_acknowledged_at: datetime | None
    replier: int  # person id
    asker: int  # person id


@dataclass
class Community:
    """A client's community in a period."""

    exchanges: list[Exchange]
    brand: set[int]  # author ids of the client's own accounts
    competitors: set[int]
    people: dict[int, Person]
    person_of: dict[int, int]  # author id → person id

    def is_brand(self, said: Said) -> bool:
        return said.author_id in self.brand

    def answers(self) -> list[Exchange]:
        """Help from customers: a reply by someone who is not the brand, to another person's
        question or complaint, that answers it (not a "me too", not negative)."""
        return [
            e
            for e in self.exchanges
            if not self.is_brand(e.reply)
            and not self.is_brand(e.to)
            and e.replier != e.asker
            and not e.reply.is_spam
            and not e.to.is_spam
            and phrases.asks_for_help(text=e.to.text, sentiment=e.to.sentiment)
            and phrases.is_answer(text=e.reply.text, sentiment=e.reply.sentiment)
        ]


def community_of(*, client: Client, period: Period) -> Community:
    """Every exchange of the period, and who is who in it."""
    with connection.cursor() as cursor:
        cursor.execute(_EXCHANGES, {"client": client.pk, "start": period.start, "end": period.end})
        rows = cursor.fetchall()
    author_ids = {row[1] for row in rows} | {row[7] for row in rows}
    person_of = dict(
        PersonAuthor.objects.filter(client=client, author_id__in=author_ids).values_list(
            "author_id", "person_id"
        )
    )
    people = Person.objects.in_bulk(set(person_of.values()))
    exchanges = []
    for row in rows:
        reply, to = Said(*row[0:6]), Said(*row[6:12])
        exchanges.append(
            Exchange(
                reply=reply,
                to=to,
                to_acknowledged_at=row[12],
                # an author not linked yet is a person of their own (negative: no clash)
                replier=person_of.get(reply.author_id, -reply.author_id),
                asker=person_of.get(to.author_id, -to.author_id),
            )
        )
    exchanges.sort(key=lambda e: (e.reply.posted_at, e.reply.mention_id))
    return Community(
        exchanges=exchanges,
        brand=brand_author_ids(client=client, author_ids=author_ids),
        competitors=competitor_author_ids(client=client, author_ids=author_ids),
        people=people,
        person_of=person_of,
    )


@dataclass
class Helper:
    person: Person | None
    person_id: int
    handle: str
    answers: list[Exchange]

    @property
    def mention_ids(self) -> list[int]:
        return [e.reply.mention_id for e in self.answers][:SAMPLE_MENTIONS]


def community_helpers(
    community: Community, *, period: Period, min_answers: int = HELPER_MIN_ANSWERS
) -> list[Helper]:
    """People who answered other people's questions or complaints at least ``min_answers``
    times in the period, most answers first."""
    by_person: dict[int, list[Exchange]] = defaultdict(list)
    for exchange in community.answers():
        if period.start <= exchange.reply.posted_at < period.end:
            by_person[exchange.replier].append(exchange)
    handles = dict(
        Author.objects.filter(
            pk__in={e.reply.author_id for es in by_person.values() for e in es}
        ).values_list("pk", "handle")
    )
    helpers = []
    for person_id, answers in by_person.items():
        if len(answers) < min_answers:
            continue
        top_author = Counter(e.reply.author_id for e in answers).most_common(1)[0][0]
        helpers.append(
            Helper(
                person=community.people.get(person_id),
                person_id=person_id,
                handle=handles.get(top_author, ""),
                answers=answers,
            )
        )
    helpers.sort(key=lambda h: (-len(h.answers), h.handle))
    return helpers


def community_answer_share(community: Community, *, client: Client, period: Period) -> float | None:
    """Of the customers' questions posted in the period, the share the community answered
    before the brand did (the brand: a reply from its accounts in the thread, or an
    acknowledgement); None when nobody asked anything."""
    brand_at: dict[int, datetime] = {}
    community_at: dict[int, datetime] = {}
    asked: dict[int, int] = {}  # question id → author id
    answers = {id(e) for e in community.answers()}
    for e in community.exchanges:
        to = e.to
        if not (period.start <= to.posted_at < period.end) or to.is_spam:
            continue
        if not phrases.is_question(to.text):
            continue
        asked[to.mention_id] = to.author_id
        brand_times = [e.to_acknowledged_at] if e.to_acknowledged_at else []
        if community.is_brand(e.reply):
            brand_times.append(e.reply.posted_at)
        for at in brand_times:
            brand_at[to.mention_id] = min(brand_at.get(to.mention_id, at), at)
        if id(e) in answers:
            at = e.reply.posted_at
            community_at[to.mention_id] = min(community_at.get(to.mention_id, at), at)
    # Questions nobody replied to count too.
    unanswered = Mention.objects.filter(
        client=client, posted_at__gte=period.start, posted_at__lt=period.end, is_spam=False,
        text__regex=r"[?¿]",
    ).values_list("pk", "author_id", "text")  # fmt: skip
    for pk, author_id, text in unanswered:
        if phrases.is_question(text):
            asked.setdefault(pk, author_id)
    brand = brand_author_ids(client=client, author_ids=set(asked.values()))
    questions = [pk for pk, author_id in asked.items() if author_id not in brand]
    if not questions:
        return None
    first = sum(
        1
        for pk in questions
        if pk in community_at and (pk not in brand_at or community_at[pk] < brand_at[pk])
    )
    return round(first / len(questions), 4)


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


# --- the conversation map -----------------------------------------------------------------------

BRAND_NODE = 0


@dataclass
class MapNode:
    key: int  # person id; BRAND_NODE for the brand's accounts together
    label: str
    role: str  # brand | helper | customer | competitor
    activity: int = 0


@dataclass
class ConversationMap:
    nodes: list[MapNode]
    edges: list[tuple[int, int, int]]  # (from key, to key, replies)


def conversation_map(
    community: Community, *, client: Client, helpers: list[Helper], size: int = MAP_PEOPLE
) -> ConversationMap:
    """Who replies to whom: the brand and the most active people, with reply counts."""
    helper_ids = {h.person_id for h in helpers}

    def node_of(said: Said, person_id: int) -> int:
        return BRAND_NODE if community.is_brand(said) else person_id

    counts: Counter[tuple[int, int]] = Counter()
    for e in community.exchanges:
        a, b = node_of(e.reply, e.replier), node_of(e.to, e.asker)
        if a != b:
            counts[a, b] += 1
    activity: Counter[int] = Counter()
    for (a, b), n in counts.items():
        activity[a] += n
        activity[b] += n
    chosen = [key for key, _ in activity.most_common() if key != BRAND_NODE][: size - 1]
    keys = {BRAND_NODE, *chosen}
    competitors = {
        community.person_of.get(a, -a) for a in community.competitors
    }  # fmt: skip
    nodes = [MapNode(BRAND_NODE, client.name, "brand", activity[BRAND_NODE])]
    for key in chosen:
        person = community.people.get(key)
        role = "competitor" if key in competitors else "helper" if key in helper_ids else "customer"
        nodes.append(MapNode(key, person.name if person else "?", role, activity[key]))
    edges = [(a, b, n) for (a, b), n in counts.most_common() if a in keys and b in keys]
    return ConversationMap(nodes=nodes, edges=edges)


# --- the API's summary --------------------------------------------------------------------------


@dataclass
class CommunityReport:
    period: Period
    helpers: list[Helper]
    topics: list[dict]
    community_answer_share: float | None
    map: ConversationMap


def community_report(*, client: Client, period: Period) -> CommunityReport:
    """Helpers, topics, the community's answer share and the conversation map of a period."""
    community = community_of(client=client, period=period)
    helpers = community_helpers(community, period=period)
    return CommunityReport(
        period=period,
        helpers=helpers,
        topics=community_topics(client=client, period=period),
        community_answer_share=community_answer_share(community, client=client, period=period),
        map=conversation_map(community, client=client, helpers=helpers),
    )


def _first_name(name: str) -> str:
    return (name.split() or ["them"])[0].lstrip("@")


def helped_whom(helper: Helper, community: Community, *, client: Client) -> list[dict]:
    """What a helper answered: for each answer, who asked, about what, and a suggested thanks
    ("Thank Mark for helping Ana with the brake squeal")."""
    exclude = phrases.brand_words(client.name, *client.brand_handles)
    helper_name = helper.person.name if helper.person else helper.handle
    rows = []
    for exchange in helper.answers:
        asker = community.people.get(exchange.asker)
        about = sorted(phrases.key_phrases(exchange.to.text, exclude=exclude))
        subject = (
            f"the {about[0]}" if about else f"\u201c{phrases.excerpt(exchange.to.text, 6)}\u201d"
        )
        asker_name = asker.name if asker else "someone"
        rows.append(
            {
                "answer": exchange.reply,
                "question": exchange.to,
                "asker": asker,
                "about": subject,
                "thanks": f"Thank {_first_name(helper_name)} for helping "
                f"{_first_name(asker_name)} with {subject}",
            }
        )
    return rows


def helper_person_ids(*, client: Client, period: Period) -> set[int]:
    """The people who are community helpers of the client in the period."""
    community = community_of(client=client, period=period)
    return {helper.person_id for helper in community_helpers(community, period=period)}


HELPER_WINDOW_DAYS = 30
_HELPERS_CACHE_SECONDS = 300


def helper_authors(*, clients: Iterable[Client]) -> dict[int, set[int]]:
    """The authors of each client's community helpers over the last ``HELPER_WINDOW_DAYS``
    days (client id → author ids), for the inbox's filter and badge; cached for five minutes
    (the cache key carries the agency)."""
    result = {}
    for client in clients:
        today = timezone.now().astimezone(ZoneInfo(client.timezone)).date()
        # Not forgotten as mentions arrive: a badge may lag five minutes, the inbox stays cheap.
        key = f"community:helper-authors:{client.pk}:{today.isoformat()}"
        authors = cache.get(key)
        if authors is None:
            period = Period(today - timedelta(days=HELPER_WINDOW_DAYS - 1), today, client.timezone)
            community = community_of(client=client, period=period)
            people = {h.person_id for h in community_helpers(community, period=period)}
            authors = {a for a, p in community.person_of.items() if p in people}
            authors |= {-p for p in people if p < 0}  # authors without a person yet
            cache.set(key, authors, _HELPERS_CACHE_SECONDS)
        result[client.pk] = authors
    return result

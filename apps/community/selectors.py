"""Reads on people and on a client's community, scoped to what the user may see.

The community of a period: who answers whom (replies carry ``parent_external_id``), the
community helpers, what people talk about (topics of key phrases) and the conversation map.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from apps.clients.models import Client
from apps.listening.models import QUESTION_MARK, Author, Mention, normalise_handle
from apps.reporting.selectors import Period

from . import phrases
from .models import Person, PersonAuthor
from .people import PersonSummary as PersonSummary
from .people import link_suggestion_get as link_suggestion_get
from .people import link_suggestions as link_suggestions
from .people import pending_suggestion_count as pending_suggestion_count
from .people import person_get as person_get
from .people import person_list as person_list
from .people import person_mentions as person_mentions
from .people import person_of_author as person_of_author
from .people import person_summary as person_summary
from .topics import MAX_TOPIC_MENTIONS as MAX_TOPIC_MENTIONS
from .topics import MIN_PHRASE_MENTIONS as MIN_PHRASE_MENTIONS
from .topics import PHRASES_PER_TOPIC as PHRASES_PER_TOPIC
from .topics import SAMPLE_MENTIONS as SAMPLE_MENTIONS
from .topics import TOPICS as TOPICS
from .topics import TOPICS_CACHE_SECONDS as TOPICS_CACHE_SECONDS
from .topics import community_forget as community_forget
from .topics import community_topics as community_topics
from .topics import community_version as community_version

HELPER_MIN_ANSWERS = 2  # answers in the period that make a community helper
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
        text__regex=QUESTION_MARK,  # as mention_question_idx, which it reads
    ).order_by().values_list("pk", "author_id", "text")  # fmt: skip
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

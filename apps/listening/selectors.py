"""Reads on mentions, listening queries and their re-matches, scoped to what the user may see."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast

from apps.accounts.models import User
from apps.clients.selectors import client_list, of_clients_seen

from .models import OPEN_STATUSES, ListeningQuery, Mention, MentionCount, QueryRematch


def query_list(*, user: User, client_id: int | None = None) -> QuerySet[ListeningQuery]:
    queries = ListeningQuery.objects.filter(client__in=client_list(user=user)).select_related(
        "client"
    )
    if client_id is not None:
        queries = queries.filter(client_id=client_id)
    return queries


def query_get(*, user: User, query_id: int) -> ListeningQuery:
    """A query of a client the user may see; ``ListeningQuery.DoesNotExist`` otherwise (→ 404)."""
    return query_list(user=user).get(pk=query_id)


def rematch_get(*, user: User, rematch_id: int) -> QueryRematch:
    """A re-match of a query the user may see; ``QueryRematch.DoesNotExist`` otherwise (→ 404)."""
    return QueryRematch.objects.get(pk=rematch_id, query__in=query_list(user=user))


def query_rematch_latest(*, query: ListeningQuery) -> QueryRematch | None:
    return query.rematches.order_by("-pk").first()


def query_mention_count(*, query: ListeningQuery) -> int:
    return query_mention_list(query=query).count()


def query_mention_list(*, query: ListeningQuery) -> QuerySet[Mention]:
    """Mentions the query files, newest first (the GIN index on ``matched_queries`` finds them)."""
    return (
        Mention.objects.filter(client_id=query.client_id, matched_queries__contains=[query.pk])
        .select_related("author")
        .order_by("-posted_at", "-pk")
    )


def mention_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[Mention]:
    """Mentions of the clients ``user`` may see (team members: only what is routed to a team of
    theirs), with ``is_customer`` annotated, filtered by ``filters``:

    ``client``, ``channel``, ``status``, ``sentiment``, ``intent``, ``needs_acknowledgement``,
    ``since``,
    ``until``, ``assigned_to``, ``team`` and ``q`` (full text, ranked: best match first).
    """
    if user.role == User.Role.TEAM_MEMBER:  # only what was routed to one of their teams
        # The ids themselves, not a subquery: the planner then knows how many rows they hold
        # and reads one team's newest first from mention_team_posted_idx.
        teams = list(user.teams.values_list("pk", flat=True))
        mentions = Mention.objects.filter(team_id__in=teams)
    else:
        mentions = of_clients_seen(Mention.objects.all(), user=user)
    # No list shows the search vector (the filter and ranking read it in the database).
    mentions = (
        mentions.select_related("author", "channel", "client")
        .defer("search_vector")
        .annotate(
            is_customer=ExpressionWrapper(Q(customer__isnull=False), output_field=BooleanField())
        )
    )
    filters = filters or {}
    exact = {
        "client": "client_id",
        "channel": "channel_id",
        "status": "status",
        "sentiment": "sentiment",
        "intent": "intent",
        "needs_acknowledgement": "needs_acknowledgement",
        "since": "posted_at__gte",
        "until": "posted_at__lt",
        "assigned_to": "assigned_to_id",
        "team": "team_id",
    }
    mentions = mentions.filter(
        **{lookup: filters[key] for key, lookup in exact.items() if filters.get(key) is not None}
    )
    return mention_search(mentions, filters.get("q") or "")


# A search ranks the newest this many matches, not every match of a common word (ts_rank reads
# each row's vector): what a person pages through, found through the time index.
SEARCH_CANDIDATES = 1_000


def mention_search(mentions: QuerySet[Mention], text: str) -> QuerySet[Mention]:
    """Mentions matching ``text`` (web-search syntax: words, "phrases", -not), best match first
    among the newest ``SEARCH_CANDIDATES`` matches; without text, all of them, newest first.
    Filter ``mentions`` before searching: the candidates are taken from what it holds."""
    if not text.strip():
        return mentions.order_by("-posted_at", "-pk")
    query = _search_query(text)
    newest = (
        mentions.filter(search_vector=query)
        .order_by("-posted_at", "-pk")
        .values("pk")[:SEARCH_CANDIDATES]
    )
    # ``id = ANY(ARRAY(…))``: the candidates are looked up by primary key, never joined by
    # hashing a scan of the table.
    candidate = Func(
        F("pk"), ArraySubquery(newest), template="%(expressions)s)", arg_joiner=" = ANY(",
        output_field=BooleanField(),
    )  # fmt: skip
    return (
        mentions.filter(candidate)
        # As double precision: a real read back and compared again (a cursor) is not itself.
        .annotate(rank=Cast(SearchRank(F("search_vector"), query), FloatField()))
        .order_by("-rank", "-posted_at", "-pk")
    )


def _search_query(text: str) -> SearchQuery:
    return SearchQuery(text.strip(), config="simple", search_type="websearch")


def mention_matching(mentions: QuerySet[Mention], text: str) -> QuerySet[Mention]:
    """All of ``mentions`` matching ``text`` (unranked; all of them without text)."""
    return mentions.filter(search_vector=_search_query(text)) if text.strip() else mentions


def mention_match_total(
    mentions: QuerySet[Mention], *, exact_up_to: int | None = None
) -> tuple[int, bool]:
    """How many of ``mentions`` there are: ``(count, True)`` when at most ``exact_up_to`` (counted,
    reading no more rows than that), else ``(estimate, False)`` — the planner's estimate, never
    below ``exact_up_to`` — to be shown as "about N"."""
    exact_up_to = SEARCH_CANDIDATES if exact_up_to is None else exact_up_to
    ids = mentions.order_by().values("pk")
    counted = ids[: exact_up_to + 1].count()
    if counted <= exact_up_to:
        return counted, True
    sql, params = ids.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    rounded = round(estimate, 1 - len(str(estimate)))  # two significant figures: 213,456 → 210,000
    return max(rounded, exact_up_to + 1), False


# The orderings of mention lists (SPEC §11), each backed by an index per client: posted_at by
# mention_client_posted_idx, the open mentions' SLA due dates and priorities by
# mention_open_sla_due_idx and mention_open_priority_idx.
MENTION_ORDERINGS: dict[str, tuple] = {
    "-posted_at": ("-posted_at", "-pk"),
    "posted_at": ("posted_at", "pk"),
    "sla_due_at": (F("sla_due_at").asc(nulls_last=True), "pk"),
    "-priority_score": (F("priority_key").desc(nulls_last=True), "-pk"),
}
DEFAULT_ORDERING = "-posted_at"


def mention_order(mentions: QuerySet[Mention], ordering: str) -> QuerySet[Mention]:
    """``mentions`` in one of ``MENTION_ORDERINGS``: newest or oldest first, SLA due first (no
    due date last), highest priority score first (``apps.listening.priority``; unscored last)."""
    return mentions.order_by(*MENTION_ORDERINGS[ordering])


# The filters ``mention_status_counts`` answers from the counters (each a ``MentionCount`` column).
COUNTED_FILTERS = {
    "client": "client_id", "channel": "channel_id", "team": "team_id",
    "sentiment": "sentiment", "intent": "intent", "priority": "priority",
}  # fmt: skip


def mention_status_counts(*, user: User, filters: dict[str, Any] | None = None) -> dict[str, int]:
    """How many of the mentions ``mention_list`` gives ``user`` are in each status, narrowed by
    ``filters`` (only ``COUNTED_FILTERS``), from the maintained counters — a few rows per key,
    whatever the number of mentions: ``{"new": …, …, "open": …, "all": …}``, the open statuses
    and Open counted as ``MentionQuerySet.open`` lists them (``open_q``)."""
    filters = filters or {}
    if unknown := set(filters) - set(COUNTED_FILTERS):
        raise ValueError(f"Not counted by {', '.join(sorted(unknown))}")
    if user.role == User.Role.TEAM_MEMBER:
        counts = MentionCount.objects.filter(team_id__in=user.teams.values("pk"))
    else:
        counts = of_clients_seen(MentionCount.objects.all(), user=user, field="client_id")
    counts = counts.filter(
        **{column: filters[key] for key, column in COUNTED_FILTERS.items() if filters.get(key)}
    )
    totals = dict.fromkeys([*Mention.Status.values, "open", "all"], 0)
    # Summed per status in the database, the few sums added up here (one aggregate with a
    # filter per status cost more to compile than to run).
    for status, needing, n in (
        counts.order_by()
        .values("status", "needs_acknowledgement")
        .annotate(n=Sum("n"))
        .values_list("status", "needs_acknowledgement", "n")
    ):
        totals["all"] += n
        if status in OPEN_STATUSES:
            if needing:  # as ``open_q``
                totals[status] += n
                totals["open"] += n
        elif status in totals:
            totals[status] += n
    return totals

"""Reads on mentions, listening queries and their re-matches, scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet

from apps.accounts.models import User
from apps.clients.selectors import client_list

from .models import ListeningQuery, Mention, QueryRematch


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
        mentions = Mention.objects.filter(team__in=user.teams.all())
    else:
        mentions = Mention.objects.filter(client__in=client_list(user=user))
    mentions = mentions.select_related("author", "channel", "client").annotate(
        is_customer=ExpressionWrapper(Q(customer__isnull=False), output_field=BooleanField())
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


def mention_search(mentions: QuerySet[Mention], text: str) -> QuerySet[Mention]:
    """Mentions matching ``text`` (web-search syntax: words, "phrases", -not), best match first;
    without text, all of them, newest first."""
    if not text.strip():
        return mentions.order_by("-posted_at", "-pk")
    query = SearchQuery(text.strip(), config="simple", search_type="websearch")
    return (
        mentions.filter(search_vector=query)
        .annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", "-posted_at", "-pk")
    )


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

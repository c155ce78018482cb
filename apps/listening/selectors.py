"""Reads on listening queries and their re-matches, scoped to the clients the user may see."""

from __future__ import annotations

from django.db.models import QuerySet

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

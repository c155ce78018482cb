"""Reading mentions: the user's scope, filters and full-text search with ranking."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet

from apps.accounts.models import User
from apps.clients.selectors import client_list

from .models import Mention


def mention_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[Mention]:
    """Mentions of the clients ``user`` may see (team members: only what is routed to a team of
    theirs), with ``is_customer`` annotated, filtered by ``filters``:

    ``client``, ``channel``, ``status``, ``sentiment``, ``needs_acknowledgement``, ``since``,
    ``until`` and ``q`` (full text, ranked: best match first).
    """
    mentions = Mention.objects.filter(client__in=client_list(user=user))
    if user.role == User.Role.TEAM_MEMBER:
        mentions = mentions.filter(team__in=user.teams.all())
    mentions = mentions.select_related("author", "channel", "client").annotate(
        is_customer=ExpressionWrapper(Q(customer__isnull=False), output_field=BooleanField())
    )
    filters = filters or {}
    exact = {
        "client": "client_id",
        "channel": "channel_id",
        "status": "status",
        "sentiment": "sentiment",
        "needs_acknowledgement": "needs_acknowledgement",
        "since": "posted_at__gte",
        "until": "posted_at__lt",
    }
    mentions = mentions.filter(
        **{lookup: filters[key] for key, lookup in exact.items() if filters.get(key) is not None}
    )
    if text := (filters.get("q") or "").strip():
        query = SearchQuery(text, config="simple", search_type="websearch")
        return (
            mentions.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-posted_at")
        )
    return mentions.order_by("-posted_at")

"""Which mention to answer first: one priority score, computed in SQL and stored for ordering.

    value      = min(1, log10(1 + CRM lifetime value) / 4)   10,000 or more → 1; no customer → 0
    influence  = author influence / 100                      (apps.listening.influence, 0-100)
    negativity = max(0, -sentiment score)                    -1 (most negative) → 1; neutral → 0
    complaint  = 1 when the mention's intent is a complaint, else 0
    static     = 30 value + 25 influence + 25 negativity + 20 complaint           (0-100)
    priority_score = static + 1 point per hour waiting since it was posted

People who matter to the client, whose voice carries and who are unhappy come first; waiting
raises everyone by the same point an hour, so nobody sinks for ever (a stranger's question that
has waited a day weighs as much as a fresh complaint from a valued customer).

Because the waiting term grows alike for every mention, ordering by the score at any moment is
ordering by ``static - 1 * hours since the epoch of posted_at``: that is the stored, indexed
``Mention.priority_key``, and ``priority_score = priority_key + hours since the epoch of now``.
Ingest computes the key as it inserts a mention; it changes only when its inputs do, and
``mentions_priority_refresh`` recomputes it then (at ingest for the open mentions of authors
whose details changed, when customers are imported, daily after influence is refreshed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.utils import timezone

from apps.clients.models import Customer

from .models import Author, Mention

VALUE_POINTS, INFLUENCE_POINTS, NEGATIVITY_POINTS, COMPLAINT_POINTS = 30, 25, 25, 20
VALUE_FULL_DIGITS = 4  # log10(1 + 10,000) ≈ 4: a lifetime value of 10,000 or more counts fully
WAIT_POINTS_PER_HOUR = 1.0


def _has_intent() -> bool:
    return any(field.name == "intent" for field in Mention._meta.get_fields())


_LIFETIME_VALUE = (
    f"coalesce((SELECT c.lifetime_value FROM {Customer._meta.db_table} c "  # noqa: S608
    "WHERE c.id = m.customer_id), 0)"
)


def _static_sql(intent: bool, influence: str) -> str:
    """The static part over ``m`` (a mention) and its author's ``influence``: a term per input."""
    terms = [
        f"{VALUE_POINTS} * least(1, log(1 + greatest(0, {_LIFETIME_VALUE})) / {VALUE_FULL_DIGITS})",
        f"{INFLUENCE_POINTS} * coalesce({influence}, 0) / 100",
        f"{NEGATIVITY_POINTS} * greatest(0, -coalesce(m.sentiment_score, 0))",
    ]
    if intent:  # intents are classified: a complaint weighs COMPLAINT_POINTS more
        terms.append(f"{COMPLAINT_POINTS} * (m.intent = 'complaint')::int")
    return " + ".join(f"({term})::float8" for term in terms)


def priority_key_sql(*, intent: bool | None = None, influence: str = "author.influence") -> str:
    """``Mention.priority_key`` as SQL over ``m`` and the author's ``influence`` (by default of
    ``author``), with the complaint term when ``intent`` (by default when mentions have one)."""
    intent = _has_intent() if intent is None else intent
    waiting = f"{WAIT_POINTS_PER_HOUR} * extract(epoch FROM m.posted_at) / 3600"
    return f"round(({_static_sql(intent, influence)} - {waiting})::numeric, 3)::float8"


def priority_score(priority_key: float | None, *, now: datetime | None = None) -> float | None:
    """The score at ``now`` (higher: answer first) from the stored key; None if not scored."""
    if priority_key is None:
        return None
    hours = (now or timezone.now()).timestamp() / 3600
    return round(priority_key + WAIT_POINTS_PER_HOUR * hours, 1)


def mentions_priority_refresh(
    *,
    mention_ids: Iterable[int] | None = None,
    author_ids: Iterable[int] | None = None,
    client_id: int | None = None,
    open_only: bool = False,
    intent: bool | None = None,
) -> int:
    """Recompute ``priority_key`` of the given mentions, of the given authors' mentions, of a
    client's mentions or (no scope) of all mentions — writing only the rows whose key changed
    (one UPDATE). ``open_only`` limits it to mentions still waiting for an answer; ``intent``
    as for ``priority_key_sql`` (migrations pass False: the column may not exist yet)."""
    scope, params = [], {}
    if mention_ids is not None:
        scope.append("m.id = ANY(%(mentions)s)")
        params["mentions"] = list(mention_ids)
    if author_ids is not None:
        scope.append("m.author_id = ANY(%(authors)s)")
        params["authors"] = list(author_ids)
    if client_id is not None:
        scope.append("m.client_id = %(client)s")
        params["client"] = client_id
    if open_only:
        scope.append("m.status IN ('new', 'assigned', 'escalated')")
    key = priority_key_sql(intent=intent)
    where = " AND ".join(["author.id = m.author_id", *scope])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Mention._meta.db_table} m SET priority_key = {key} "  # noqa: S608
            f"FROM {Author._meta.db_table} author "
            f"WHERE {where} AND m.priority_key IS DISTINCT FROM {key}",
            params,
        )
        return cursor.rowcount

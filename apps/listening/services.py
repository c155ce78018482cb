"""Listening queries: create, edit and delete them, and re-match a client's past mentions.

Editing a query's expression (or switching it on or off) changes which past mentions it files, so
every such write queues a ``QueryRematch``: a background pass (``query_rematch_run``) that walks
the client's mentions in id order, a batch per transaction, and adds or removes the query's id in
``Mention.matched_queries`` for exactly the rows whose answer changed. New mentions are matched at
ingest (``apps.listening.enrich``); this module only brings the past in line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    Max,
    Q,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from apps.clients.models import Client
from apps.core import fairshare, outbox
from apps.core.heartbeat import heartbeat, stale_before

from .models import ListeningQuery, Mention, QueryRematch
from .priority import mentions_priority_refresh
from .query_language import Query, QuerySyntaxError, parse, term_count, tokenize_text
from .upkeep import PURGE_BATCH_SIZE as PURGE_BATCH_SIZE
from .upkeep import RESCORE_BATCH_SIZE as RESCORE_BATCH_SIZE
from .upkeep import mention_counts_compact as mention_counts_compact
from .upkeep import mentions_purge_expired as mentions_purge_expired
from .upkeep import mentions_rescore as mentions_rescore

logger = logging.getLogger(__name__)

REMATCH_BATCH_SIZE = 5_000
# The terms all of a client's active queries may check on each mention: with pages of at most a
# few hundred items this bounds the matching cost of any page, whoever wrote the queries.
MAX_CLIENT_TERMS = 500
_QUERY_IDS = ArrayField(BigIntegerField())


# --- validating expressions --------------------------------------------------------------------


def describe_syntax_error(error: QuerySyntaxError) -> str:
    """``"<message> at position N"`` plus the parser's hint, if any: always names the position."""
    detail = str(error)
    located = f"{error.message} at position {error.position}"
    if detail.startswith(located):
        return detail
    return located + detail[len(error.message) :]  # "Empty query" carries no position of its own


@dataclass(frozen=True)
class ExpressionCheck:
    """What the query editor shows as the user types: the error and where, or the reading."""

    ok: bool
    error: str = ""
    position: int | None = None
    normalised: str = ""

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "error": self.error,
            "position": self.position,
            "normalised": self.normalised,
        }


def expression_check(expression: str) -> ExpressionCheck:
    """Parse an expression without saving anything; the normalised form shows how it was read."""
    try:
        query = parse(expression)
    except QuerySyntaxError as error:
        return ExpressionCheck(
            ok=False, error=describe_syntax_error(error), position=error.position
        )
    return ExpressionCheck(ok=True, normalised=str(query))


def _validate(
    *, client: Client, name: str, expression: str, is_active: bool = True,
    exclude_pk: int | None = None,
) -> None:  # fmt: skip
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the query a name."
    elif ListeningQuery.objects.filter(client=client, name=name).exclude(pk=exclude_pk).exists():
        errors["name"] = f"{client.name} already has a query named '{name}'."
    try:
        terms = term_count(parse(expression))
    except QuerySyntaxError as error:
        errors["expression"] = describe_syntax_error(error)
    else:
        others = _active_terms(client=client, exclude_pk=exclude_pk) if is_active else 0
        if others + terms > MAX_CLIENT_TERMS:
            errors["expression"] = (
                f"{client.name}'s active queries would check {others + terms} terms on every "
                f"mention; at most {MAX_CLIENT_TERMS} (this one has {terms}). Shorten a query, "
                "or pause one."
            )
    if errors:
        raise ValidationError(errors)


def _active_terms(*, client: Client, exclude_pk: int | None) -> int:
    expressions = (
        ListeningQuery.objects.filter(client=client, is_active=True)
        .exclude(pk=exclude_pk)
        .values_list("expression", flat=True)
    )
    total = 0
    for expression in expressions:
        try:
            total += term_count(parse(expression))
        except QuerySyntaxError:  # saved before the limits: it matches nothing, costs nothing
            continue
    return total


# --- writes on queries -------------------------------------------------------------------------


@transaction.atomic
def query_create(
    *, client: Client, name: str, expression: str, is_competitor: bool = False
) -> ListeningQuery:
    """Create a query (expression stored exactly as typed) and queue its first re-match."""
    _validate(client=client, name=name, expression=expression)
    query = ListeningQuery.objects.create(
        client=client, name=name, expression=expression, is_competitor=is_competitor
    )
    query_rematch_queue(query=query)
    return query


@transaction.atomic
def query_update(
    *,
    query: ListeningQuery,
    name: str | None = None,
    expression: str | None = None,
    is_competitor: bool | None = None,
    is_active: bool | None = None,
) -> ListeningQuery:
    """Change the given fields; a new expression or on/off switch re-matches past mentions."""
    changes = {
        field: value
        for field, value in (
            ("name", name),
            ("expression", expression),
            ("is_competitor", is_competitor),
            ("is_active", is_active),
        )
        if value is not None and value != getattr(query, field)
    }
    if not changes:
        return query
    _validate(
        client=query.client,
        name=changes.get("name", query.name),
        expression=changes.get("expression", query.expression),
        is_active=changes.get("is_active", query.is_active),
        exclude_pk=query.pk,
    )
    for field, value in changes.items():
        setattr(query, field, value)
    query.save(update_fields=[*changes, "updated_at"])
    if "expression" in changes or "is_active" in changes:
        query_rematch_queue(query=query)
    return query


@transaction.atomic
def query_delete(*, query: ListeningQuery) -> None:
    """Delete a query and take its id off every mention it was filed under."""
    # Lock the query first, as a re-match batch does, so the two cannot deadlock on mentions.
    ListeningQuery.objects.select_for_update().filter(pk=query.pk).exists()
    _remove_from_all_mentions(query_id=query.pk)
    query.delete()


def _remove_from_all_mentions(*, query_id: int) -> int:
    """One statement; the GIN index on ``matched_queries`` finds the rows."""
    return Mention.objects.filter(matched_queries__contains=[query_id]).update(
        matched_queries=_without(query_id)
    )


def _without(query_id: int) -> Func:
    return Func(
        F("matched_queries"),
        Cast(Value(query_id), BigIntegerField()),
        function="array_remove",
        output_field=_QUERY_IDS,
    )


def _with(query_id: int) -> Func:
    """The id once, at the end, whatever was there before."""
    return Func(
        _without(query_id),
        Cast(Value(query_id), BigIntegerField()),
        function="array_append",
        output_field=_QUERY_IDS,
    )


# --- re-matching past mentions -----------------------------------------------------------------


REMATCH_TASK = "apps.listening.tasks.rematch_query"


def query_rematch_queue(*, query: ListeningQuery) -> QueryRematch:
    """Record a re-match and send it to a worker once the caller's transaction commits."""
    with transaction.atomic():
        rematch = QueryRematch.objects.create(query=query)
        outbox.enqueue(REMATCH_TASK, rematch.pk)
    return rematch


def rematches_recover_dead(*, stale_after: timedelta | None = None) -> list[QueryRematch]:
    """Queue again the running re-matches whose worker died (no heartbeat for ``stale_after``,
    by default RAPPORT_HEARTBEAT_STALE_SECONDS); they start again from the top."""
    with transaction.atomic():
        dead = list(
            QueryRematch.objects.select_for_update(skip_locked=True).filter(
                status=QueryRematch.Status.RUNNING, heartbeat_at__lt=stale_before(stale_after)
            )
        )
        for rematch in dead:
            QueryRematch.objects.filter(pk=rematch.pk).update(status=QueryRematch.Status.QUEUED)
            outbox.enqueue(REMATCH_TASK, rematch.pk)
    for rematch in dead:
        logger.warning("re-match %s: worker gone, queued again", rematch.pk)
    return dead


class _Superseded(Exception):
    """A newer re-match of the same query exists, or the query was deleted: stop here."""


def query_rematch_run(
    *, rematch_id: int, batch_size: int = REMATCH_BATCH_SIZE
) -> QueryRematch | None:
    """Re-apply the query to all of its client's mentions, committing progress after each batch.

    Returns the finished re-match, or ``None`` if it no longer exists (its query was deleted).
    If the agency's share of the workers is busy (``apps.core.fairshare``) it stays queued and
    comes back through the outbox a few seconds later.
    """
    with fairshare.agency_slot() as granted:
        if not granted:
            outbox.enqueue(REMATCH_TASK, rematch_id, delay=fairshare.retry_seconds())
            return QueryRematch.objects.filter(pk=rematch_id).first()
        return _query_rematch_run(rematch_id=rematch_id, batch_size=batch_size)


def _query_rematch_run(*, rematch_id: int, batch_size: int) -> QueryRematch | None:
    with transaction.atomic():
        rematch = (
            QueryRematch.objects.select_for_update(of=("self",))
            .select_related("query")
            .filter(pk=rematch_id)
            .first()
        )
        if rematch is None or rematch.status != QueryRematch.Status.QUEUED:
            return rematch  # finished, or running under another delivery of the same task
        rematch.status = QueryRematch.Status.RUNNING
        rematch.started_at = rematch.heartbeat_at = timezone.now()
        # The mentions there are now; later ones are matched as they are stored, so counting
        # them too would report more processed than the total (6,241 of 6,041).
        present = Mention.objects.filter(client_id=rematch.query.client_id).aggregate(
            total=Count("pk"), last_id=Max("pk")
        )
        rematch.total, last_id = present["total"], present["last_id"] or 0
        rematch.processed = rematch.matched = 0  # a redelivered task starts again from the top
        rematch.error = ""
        rematch.save(
            update_fields=[
                "status", "started_at", "heartbeat_at", "total", "processed", "matched", "error",
            ]
        )  # fmt: skip
    try:
        with heartbeat(QueryRematch, rematch.pk):
            if rematch.query.is_active:
                _rematch_batches(rematch, parse(rematch.query.expression), batch_size, last_id)
            else:
                _rematch_inactive(rematch)
    except _Superseded:
        pass  # the newer re-match (or the deletion) has the last word; report how far we got
    except Exception as error:  # recorded on the re-match the user is watching
        logger.exception("Re-match %s of query %s failed", rematch.pk, rematch.query_id)
        rematch.status = QueryRematch.Status.FAILED
        rematch.error = str(error) or type(error).__name__
        rematch.finished_at = timezone.now()
        QueryRematch.objects.filter(pk=rematch.pk).update(
            status=rematch.status, error=rematch.error, finished_at=rematch.finished_at
        )
        return rematch
    rematch.status = QueryRematch.Status.DONE
    rematch.finished_at = timezone.now()
    QueryRematch.objects.filter(pk=rematch.pk).update(
        status=rematch.status, finished_at=rematch.finished_at
    )
    return rematch


def _claim_batch(rematch: QueryRematch) -> None:
    """Inside a batch's transaction: lock the query row, or raise ``_Superseded``.

    The lock (FOR NO KEY UPDATE) makes an edit or a deletion of the query wait for the batch in
    flight to commit; the edit's newer re-match is then seen here before the next batch.
    """
    locked = ListeningQuery.objects.select_for_update(no_key=True).filter(pk=rematch.query_id)
    if not locked.exists():
        raise _Superseded
    newer = QueryRematch.objects.filter(query_id=rematch.query_id, pk__gt=rematch.pk).exclude(
        status=QueryRematch.Status.FAILED
    )
    if newer.exists():
        raise _Superseded


def _rematch_batches(rematch: QueryRematch, query: Query, batch_size: int, up_to: int) -> None:
    """Re-match the client's mentions with ids up to ``up_to``, one committed batch at a time."""
    query_id, client_id = rematch.query_id, rematch.query.client_id
    has_query = ExpressionWrapper(
        Q(matched_queries__contains=[query_id]), output_field=BooleanField()
    )
    last_id = 0
    while True:
        with transaction.atomic():
            _claim_batch(rematch)
            rows = list(
                Mention.objects.filter(client_id=client_id, pk__gt=last_id, pk__lte=up_to)
                .order_by("pk")
                .annotate(has_query=has_query)
                .values_list("pk", "text", "platform", "language", "has_query")[:batch_size]
            )
            if not rows:
                return
            to_add, to_remove, matched = [], [], 0
            for pk, text, platform, language, had in rows:
                if query.matches_tokens(tokenize_text(text), platform=platform, language=language):
                    matched += 1
                    if not had:
                        to_add.append(pk)
                elif had:
                    to_remove.append(pk)
            # The guards keep concurrent ingest safe and touch only rows whose answer changed.
            if to_add:
                Mention.objects.filter(pk__in=to_add).exclude(
                    matched_queries__contains=[query_id]
                ).update(matched_queries=_with(query_id))
            if to_remove:
                Mention.objects.filter(
                    pk__in=to_remove, matched_queries__contains=[query_id]
                ).update(matched_queries=_without(query_id))
            rematch.processed += len(rows)
            rematch.matched += matched
            # A row committed late by an ingest that began before the count: count it in.
            rematch.total = max(rematch.total, rematch.processed)
            QueryRematch.objects.filter(pk=rematch.pk).update(
                processed=rematch.processed, matched=rematch.matched, total=rematch.total
            )
            last_id = rows[-1][0]


def _rematch_inactive(rematch: QueryRematch) -> None:
    """A switched-off query files nothing: one statement takes it off every mention."""
    with transaction.atomic():
        _claim_batch(rematch)
        _remove_from_all_mentions(query_id=rematch.query_id)
        rematch.processed = rematch.total
        QueryRematch.objects.filter(pk=rematch.pk).update(processed=rematch.processed, matched=0)


def authors_refresh_influence(*, since_days: int = 90) -> int:
    """Recompute the influence of every author active in the last ``since_days`` (one UPDATE).

    Runs daily from Celery beat for each agency; see ``apps.listening.influence``. The open
    mentions' priority keys follow the new influence (``apps.listening.priority``).
    """
    from django.db import connection

    from .influence import INFLUENCE_SQL
    from .models import Author

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Author._meta.db_table} author SET influence = {INFLUENCE_SQL}
            FROM (
                SELECT m.author_id, count(*) AS recent, avg(m.engagement) AS engagement
                FROM {Mention._meta.db_table} m
                WHERE m.posted_at >= now() - make_interval(days => %s)
                GROUP BY m.author_id
            ) activity
            WHERE author.id = activity.author_id
              AND author.influence IS DISTINCT FROM {INFLUENCE_SQL}
            """,  # noqa: S608 - names from model metadata and module constants
            [since_days],
        )
        updated = cursor.rowcount
    mentions_priority_refresh(open_only=True)
    return updated

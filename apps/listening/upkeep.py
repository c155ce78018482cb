"""Upkeep of stored mentions: retention (expired mentions purged in batches) and re-scoring their
sentiment and intent with the current model."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.core import events

from .models import COUNT_DIMENSIONS, Mention, MentionCount

# --- retention ---------------------------------------------------------------------------------

PURGE_BATCH_SIZE = 2_000

logger = logging.getLogger(__name__)


def mentions_purge_expired(
    *, days: int, now: datetime | None = None, batch_size: int = PURGE_BATCH_SIZE
) -> int:
    """Delete the current agency's mentions posted more than ``days`` ago; returns how many.

    Works in batches of ``batch_size`` mentions, one transaction each, so a large purge never
    holds long locks and an interruption keeps what was done. With each batch go what hangs off
    those mentions: acknowledgements and SLA breaches (foreign keys, cascaded), the audit
    entries of the mentions and of their acknowledgements, and the authors left with no mention.
    Daily roll-ups (term counts) are aggregates and stay.
    """
    from django.db.models import Exists, OuterRef

    from .models import Author

    if days < 1:
        raise ValueError("days must be at least 1")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    purged = {"mentions": 0, "acknowledgements": 0, "audit_entries": 0, "authors": 0}
    while True:
        with transaction.atomic():
            ids = list(
                Mention.objects.filter(posted_at__lt=cutoff)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            batch = Mention.objects.filter(pk__in=ids)
            authors = set(batch.values_list("author_id", flat=True))
            for counts in events.mentions_purging.publish(mention_ids=ids):
                for what, count in counts.items():
                    purged[what] += count
            batch.delete()
            _, deleted = (
                Author.objects.filter(pk__in=authors)
                .exclude(Exists(Mention.objects.filter(author=OuterRef("pk"))))
                .delete()
            )
            orphans = deleted.get(Author._meta.label, 0)  # not what cascades with them
            purged["mentions"] += len(ids)
            purged["authors"] += orphans
    if purged["mentions"]:
        events.audit_recorded.publish(
            actor=None, action="purge_expired_mentions", object_type="retention",
            object_id=days, before={}, after={"posted_before": cutoff.isoformat(), **purged},
        )  # fmt: skip
        logger.info("retention: purged %s (posted before %s)", purged, cutoff.isoformat())
    return purged["mentions"]


# --- re-scoring sentiment and intent -----------------------------------------------------------

RESCORE_BATCH_SIZE = 2_000


def mentions_rescore(*, unscored_only: bool = True, client_id: int | None = None) -> int:
    """Score sentiment and intent again with the current model, a batch per transaction, in id
    order; mentions a person corrected are never touched. ``unscored_only``: only mentions with
    no intent yet (stored before intents existed). Returns how many were written."""
    from apps.core.db import bulk_update_columns

    from .sentiment import label_for, score_and_intent

    mentions = Mention.objects.filter(sentiment_corrected=False)
    if unscored_only:
        mentions = mentions.filter(intent="")
    if client_id is not None:
        mentions = mentions.filter(client_id=client_id)
    written, after = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                mentions.filter(pk__gt=after)
                .order_by("pk")
                .only("pk", "text", "language")[:RESCORE_BATCH_SIZE]
            )
            if not batch:
                return written
            scores, intents = score_and_intent([m.text for m in batch], [m.language for m in batch])
            for mention, score, intent in zip(batch, scores, intents, strict=True):
                mention.sentiment_score, mention.intent = score, intent
                mention.sentiment = label_for(score)
            written += bulk_update_columns(batch, ["sentiment_score", "sentiment", "intent"])
            after = batch[-1].pk


# --- the inbox's status counters ---------------------------------------------------------------

_COUNT_KEY = ", ".join(COUNT_DIMENSIONS)
_COMPACT = f"""
    WITH merged AS (DELETE FROM {MentionCount._meta.db_table} RETURNING {_COUNT_KEY}, n)
    INSERT INTO {MentionCount._meta.db_table} ({_COUNT_KEY}, n)
    SELECT {_COUNT_KEY}, sum(n) FROM merged
    GROUP BY {_COUNT_KEY} HAVING sum(n) <> 0
"""  # noqa: S608 - names from model metadata


def mention_counts_compact() -> int:
    """Merge the current agency's counter deltas into one row per key (keys that sum to zero
    go); returns the rows left. Safe beside writers: their deltas committed later stay, and a
    concurrent compaction only merges the rows it deleted itself."""
    from django.db import connection

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_COMPACT)
        return cursor.rowcount

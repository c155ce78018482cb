"""Each person's first mention beside their ``AuthorActivity``: the first mention needing
acknowledgement posted at ``first_posted_at`` (lowest id) and when it was acknowledged, so the
report's advocacy comparison reads the activity alone. The triggers of ``0019_author_activity``
are replaced by ones keeping these too in the transaction of every change (inserts merge by
instant and id; an acknowledgement or its withdrawal sets the time on the row naming the mention;
other changes recompute the pair as before); the columns are filled once while writers wait."""

from importlib import import_module

from django.db import migrations, models

from apps.core.triggers import (
    statement_trigger_function,
    statement_triggers,
    statement_triggers_drop,
)

before = import_module("apps.listening.migrations.0019_author_activity")
KEY, SPOKEN, CHANGED = before.KEY, before.SPOKEN, before.CHANGED
COLUMNS = f"{before.COLUMNS}, first_mention_id, first_acknowledged_at"
# The columns of a mention the activity is made of (``before.READ`` with the id and time).
MENTION = ", ".join(("id", *before.READ, "acknowledged_at"))


def _summary(rows: str) -> str:
    """A row of activity per (client, author) pair of the mentions ``rows``, in key order. The
    first mention needing acknowledgement at the first instant is the first by time, then
    needing it, then id — when that one needs none, none of that instant does."""
    return f"""WITH r AS ({rows}), first AS (
            SELECT DISTINCT ON ({KEY}) {KEY},
                   CASE WHEN needs_acknowledgement THEN id END AS mention_id,
                   CASE WHEN needs_acknowledgement THEN acknowledged_at END AS acknowledged_at
            FROM r ORDER BY {KEY}, posted_at, needs_acknowledgement DESC, id)
        SELECT r.client_id, r.author_id, {SPOKEN}, first.mention_id, first.acknowledged_at
        FROM r JOIN first USING ({KEY})
        GROUP BY r.client_id, r.author_id, first.mention_id, first.acknowledged_at ORDER BY 1, 2"""


def _recompute(pairs: str) -> str:
    """Statements setting the activity of the (client, author) ``pairs`` from their mentions."""
    rows = f"SELECT {MENTION} FROM listening_mention m JOIN ({pairs}) p USING ({KEY})"
    return f"""
        INSERT INTO listening_authoractivity ({KEY}, {COLUMNS}) {_summary(rows)}
        ON CONFLICT ({KEY}) DO UPDATE SET first_posted_at = EXCLUDED.first_posted_at,
            last_posted_at = EXCLUDED.last_posted_at, last_positive_at = EXCLUDED.last_positive_at,
            last_unprompted_at = EXCLUDED.last_unprompted_at,
            last_advocacy_at = EXCLUDED.last_advocacy_at,
            first_mention_id = EXCLUDED.first_mention_id,
            first_acknowledged_at = EXCLUDED.first_acknowledged_at;
        DELETE FROM listening_authoractivity a USING ({pairs}) p
        WHERE a.client_id = p.client_id AND a.author_id = p.author_id
          AND NOT EXISTS (SELECT 1 FROM listening_mention m
                          WHERE m.author_id = p.author_id AND m.client_id = p.client_id)"""


# Inserted mentions name a new first mention when earlier than the kept first instant, or of the
# same instant with a lower id (drawn earlier by a transaction committing later).
_EARLIER = """(EXCLUDED.first_posted_at < a.first_posted_at
           OR EXCLUDED.first_posted_at = a.first_posted_at
              AND EXCLUDED.first_mention_id < coalesce(a.first_mention_id, 9223372036854775807))"""
# An acknowledgement given or withdrawn changes no pair's mentions, only the time on the row that
# names the mention as its first: a key probe per updated mention (joining ``old_rows`` to find
# the changed ones was planned as a nested loop, quadratic in the rows updated); the rows to
# change are locked in key order, the order in which inserts write them.
ACKNOWLEDGED = """UPDATE listening_authoractivity a SET first_acknowledged_at = first.acknowledged_at
        FROM (SELECT a.id, n.acknowledged_at FROM listening_authoractivity a
              JOIN new_rows n ON a.client_id = n.client_id AND a.author_id = n.author_id
               AND a.first_mention_id = n.id
              WHERE a.first_acknowledged_at IS DISTINCT FROM n.acknowledged_at
              ORDER BY a.client_id, a.author_id FOR UPDATE OF a) first
        WHERE a.id = first.id"""

# Keys are written in order, so concurrent fetches of the same people wait for each other
# instead of deadlocking.
FUNCTION = statement_trigger_function(
    "listening_author_activity",
    inserted=f"""INSERT INTO listening_authoractivity AS a ({KEY}, {COLUMNS})
            {_summary(f"SELECT {MENTION} FROM new_rows")}
        ON CONFLICT ({KEY}) DO UPDATE SET
            first_posted_at = least(a.first_posted_at, EXCLUDED.first_posted_at),
            last_posted_at = greatest(a.last_posted_at, EXCLUDED.last_posted_at),
            last_positive_at = greatest(a.last_positive_at, EXCLUDED.last_positive_at),
            last_unprompted_at = greatest(a.last_unprompted_at, EXCLUDED.last_unprompted_at),
            last_advocacy_at = greatest(a.last_advocacy_at, EXCLUDED.last_advocacy_at),
            first_mention_id = CASE WHEN {_EARLIER} THEN EXCLUDED.first_mention_id
                                    ELSE a.first_mention_id END,
            first_acknowledged_at = CASE WHEN {_EARLIER} THEN EXCLUDED.first_acknowledged_at
                                         ELSE a.first_acknowledged_at END
        WHERE {_EARLIER}
           OR EXCLUDED.last_posted_at > a.last_posted_at
           OR EXCLUDED.last_positive_at > a.last_positive_at
           OR EXCLUDED.last_unprompted_at > a.last_unprompted_at
           OR EXCLUDED.last_advocacy_at > a.last_advocacy_at
           OR a.last_posted_at IS NULL AND EXCLUDED.last_posted_at IS NOT NULL
           OR a.last_positive_at IS NULL AND EXCLUDED.last_positive_at IS NOT NULL
           OR a.last_unprompted_at IS NULL AND EXCLUDED.last_unprompted_at IS NOT NULL
           OR a.last_advocacy_at IS NULL AND EXCLUDED.last_advocacy_at IS NOT NULL""",
    deleted=_recompute(f"SELECT DISTINCT {KEY} FROM old_rows"),
    updated=f"{ACKNOWLEDGED}; {_recompute(CHANGED)}",
    truncated="DELETE FROM listening_authoractivity",
)
TRIGGERS = statement_triggers("listening_author_activity", "listening_mention")
DROP = statement_triggers_drop("listening_author_activity", "listening_mention")
# Writers wait while the columns are filled and the triggers replaced: none is missed.
FILL = [
    "LOCK TABLE listening_mention IN SHARE ROW EXCLUSIVE MODE",
    f"""UPDATE listening_authoractivity a
        SET first_mention_id = first.id, first_acknowledged_at = first.acknowledged_at
        FROM (SELECT DISTINCT ON ({KEY}) {KEY}, id, acknowledged_at, needs_acknowledgement
              FROM listening_mention ORDER BY {KEY}, posted_at, needs_acknowledgement DESC, id
        ) first
        WHERE a.client_id = first.client_id AND a.author_id = first.author_id
          AND first.needs_acknowledgement""",
]


class Migration(migrations.Migration):
    dependencies = [("listening", "0021_report_partial_indexes")]

    operations = [
        migrations.AddField(
            model_name="authoractivity",
            name="first_mention_id",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="authoractivity",
            name="first_acknowledged_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunSQL(
            [*FILL, *DROP, FUNCTION, *TRIGGERS],
            [*DROP, before.FUNCTION, *before.TRIGGERS],
        ),
    ]

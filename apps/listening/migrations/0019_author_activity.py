"""When each author first and last spoke of each client: ``AuthorActivity`` and the
statement-level triggers on the mentions table that keep it in the transaction of every change
(inserts widen a row; updates of the columns it reads and deletes recompute the pairs they
touch), filled once from the mentions already there. Tenant clones copy the function and
triggers (``apps.tenants.cloning``). The acknowledged index now carries the author, so the
funnel reads who was acknowledged from the index alone."""

from django.db import migrations, models

from apps.core.triggers import (
    statement_trigger_function,
    statement_triggers,
    statement_triggers_drop,
)

KEY = "client_id, author_id"
COLUMNS = "first_posted_at, last_posted_at, last_positive_at, last_unprompted_at, last_advocacy_at"
SPOKEN = (
    "min(r.posted_at), max(r.posted_at) FILTER (WHERE NOT r.is_spam), "
    "max(r.posted_at) FILTER (WHERE NOT r.is_spam AND r.sentiment = 'positive'), "
    "max(r.posted_at) FILTER (WHERE NOT r.is_spam AND r.needs_acknowledgement "
    "AND r.parent_external_id = ''), "
    "max(r.posted_at) FILTER (WHERE NOT r.is_spam AND r.sentiment = 'positive' "
    "AND r.needs_acknowledgement AND r.parent_external_id = '')"
)
# The columns a row of activity depends on: an UPDATE changing none of them leaves it alone
# (a trigger with transition tables cannot name its columns, so the rows are compared).
READ = ("client_id", "author_id", "posted_at", "is_spam", "sentiment", "needs_acknowledgement",
        "parent_external_id")  # fmt: skip


def _recompute(pairs: str) -> str:
    """Statements setting the activity of the (client, author) ``pairs`` from their mentions."""
    return f"""
        INSERT INTO listening_authoractivity ({KEY}, {COLUMNS})
            SELECT r.client_id, r.author_id, {SPOKEN}
            FROM listening_mention r JOIN ({pairs}) p USING ({KEY})
            GROUP BY r.client_id, r.author_id ORDER BY 1, 2
        ON CONFLICT ({KEY}) DO UPDATE SET first_posted_at = EXCLUDED.first_posted_at,
            last_posted_at = EXCLUDED.last_posted_at, last_positive_at = EXCLUDED.last_positive_at,
            last_unprompted_at = EXCLUDED.last_unprompted_at,
            last_advocacy_at = EXCLUDED.last_advocacy_at;
        DELETE FROM listening_authoractivity a USING ({pairs}) p
        WHERE a.client_id = p.client_id AND a.author_id = p.author_id
          AND NOT EXISTS (SELECT 1 FROM listening_mention m
                          WHERE m.author_id = p.author_id AND m.client_id = p.client_id)"""


_OLD = ", ".join(f"o.{column}" for column in READ)
_NEW = ", ".join(f"n.{column}" for column in READ)
CHANGED = f"""SELECT o.client_id, o.author_id FROM old_rows o JOIN new_rows n USING (id)
              WHERE ({_OLD}) IS DISTINCT FROM ({_NEW})
              UNION SELECT n.client_id, n.author_id FROM old_rows o JOIN new_rows n USING (id)
              WHERE ({_OLD}) IS DISTINCT FROM ({_NEW})"""

# Keys are written in order, so concurrent fetches of the same people wait for each other
# instead of deadlocking.
FUNCTION = statement_trigger_function(
    "listening_author_activity",
    inserted=f"""INSERT INTO listening_authoractivity AS a ({KEY}, {COLUMNS})
            SELECT r.client_id, r.author_id, {SPOKEN} FROM new_rows r
            GROUP BY r.client_id, r.author_id ORDER BY 1, 2
        ON CONFLICT ({KEY}) DO UPDATE SET
            first_posted_at = least(a.first_posted_at, EXCLUDED.first_posted_at),
            last_posted_at = greatest(a.last_posted_at, EXCLUDED.last_posted_at),
            last_positive_at = greatest(a.last_positive_at, EXCLUDED.last_positive_at),
            last_unprompted_at = greatest(a.last_unprompted_at, EXCLUDED.last_unprompted_at),
            last_advocacy_at = greatest(a.last_advocacy_at, EXCLUDED.last_advocacy_at)
        WHERE EXCLUDED.first_posted_at < a.first_posted_at
           OR EXCLUDED.last_posted_at > a.last_posted_at
           OR EXCLUDED.last_positive_at > a.last_positive_at
           OR EXCLUDED.last_unprompted_at > a.last_unprompted_at
           OR EXCLUDED.last_advocacy_at > a.last_advocacy_at
           OR a.last_posted_at IS NULL AND EXCLUDED.last_posted_at IS NOT NULL
           OR a.last_positive_at IS NULL AND EXCLUDED.last_positive_at IS NOT NULL
           OR a.last_unprompted_at IS NULL AND EXCLUDED.last_unprompted_at IS NOT NULL
           OR a.last_advocacy_at IS NULL AND EXCLUDED.last_advocacy_at IS NOT NULL""",
    deleted=_recompute(f"SELECT DISTINCT {KEY} FROM old_rows"),
    updated=_recompute(CHANGED),
    truncated="DELETE FROM listening_authoractivity",
)
TRIGGERS = statement_triggers("listening_author_activity", "listening_mention")
# Writers wait while the triggers are created and the activity filled: none is missed or doubled.
FILL = [
    "LOCK TABLE listening_mention IN SHARE ROW EXCLUSIVE MODE",
    f"INSERT INTO listening_authoractivity ({KEY}, {COLUMNS}) "
    f"SELECT r.client_id, r.author_id, {SPOKEN} FROM listening_mention r GROUP BY 1, 2",
]
DROP = statement_triggers_drop("listening_author_activity", "listening_mention")


class Migration(migrations.Migration):
    dependencies = [("listening", "0018_mention_counts")]

    operations = [
        migrations.CreateModel(
            name="AuthorActivity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.BigIntegerField()),
                ("author_id", models.BigIntegerField()),
                ("first_posted_at", models.DateTimeField()),
                ("last_posted_at", models.DateTimeField(null=True)),
                ("last_positive_at", models.DateTimeField(null=True)),
                ("last_unprompted_at", models.DateTimeField(null=True)),
                ("last_advocacy_at", models.DateTimeField(null=True)),
            ],
        ),
        migrations.RemoveIndex(model_name="mention", name="mention_acknowledged_idx"),
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(
                condition=models.Q(("acknowledged_at__isnull", False)),
                fields=["client", "acknowledged_at"],
                include=("author", "needs_acknowledgement", "is_spam"),
                name="mention_acknowledged_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="authoractivity",
            index=models.Index(fields=["client_id", "first_posted_at"], name="author_activity_first_idx"),
        ),
        migrations.AddConstraint(
            model_name="authoractivity",
            constraint=models.UniqueConstraint(fields=("client_id", "author_id"), name="author_activity_key"),
        ),
        migrations.RunSQL([*FILL, FUNCTION, *TRIGGERS], DROP),
    ]

"""When each author first and last spoke of each client: ``AuthorActivity`` and the
statement-level triggers on the mentions table that keep it in the transaction of every change
(inserts widen a row; updates of the columns it reads and deletes recompute the pairs they
touch), filled once from the mentions already there. Tenant clones copy the function and
triggers (``apps.tenants.cloning``). The acknowledged index now carries the author, so the
funnel reads who was acknowledged from the index alone."""

from django.db import migrations, models

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
                          WHERE m.author_id = p.author_id AND m.client_id = p.client_id);"""


_OLD = ", ".join(f"o.{column}" for column in READ)
_NEW = ", ".join(f"n.{column}" for column in READ)
CHANGED = f"""SELECT o.client_id, o.author_id FROM old_rows o JOIN new_rows n USING (id)
              WHERE ({_OLD}) IS DISTINCT FROM ({_NEW})
              UNION SELECT n.client_id, n.author_id FROM old_rows o JOIN new_rows n USING (id)
              WHERE ({_OLD}) IS DISTINCT FROM ({_NEW})"""

# Static statements on unqualified names, so their plans are cached for the session: the
# trigger's own schema is put first on the search path for the call when it is not already
# (django-tenants always has it first). Keys are written in order, so concurrent fetches of the
# same people wait for each other instead of deadlocking.
FUNCTION = f"""
CREATE FUNCTION listening_author_activity() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    path text;
BEGIN
    IF TG_TABLE_SCHEMA IS DISTINCT FROM current_schema() THEN
        path := current_setting('search_path');
        PERFORM set_config('search_path', quote_ident(TG_TABLE_SCHEMA) || ', public', true);
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO listening_authoractivity AS a ({KEY}, {COLUMNS})
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
           OR a.last_advocacy_at IS NULL AND EXCLUDED.last_advocacy_at IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        {_recompute(f"SELECT DISTINCT {KEY} FROM old_rows")}
    ELSIF TG_OP = 'UPDATE' THEN
        {_recompute(CHANGED)}
    ELSE  -- TRUNCATE
        DELETE FROM listening_authoractivity;
    END IF;
    IF path IS NOT NULL THEN
        PERFORM set_config('search_path', path, true);
    END IF;
    RETURN NULL;
END
$body$;
"""
TRIGGERS = [
    "CREATE TRIGGER listening_author_activity_insert AFTER INSERT ON listening_mention "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION listening_author_activity()",
    "CREATE TRIGGER listening_author_activity_update AFTER UPDATE "
    "ON listening_mention REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION listening_author_activity()",
    "CREATE TRIGGER listening_author_activity_delete AFTER DELETE ON listening_mention "
    "REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION listening_author_activity()",
    "CREATE TRIGGER listening_author_activity_truncate AFTER TRUNCATE ON listening_mention "
    "FOR EACH STATEMENT EXECUTE FUNCTION listening_author_activity()",
]
# Writers wait while the triggers are created and the activity filled: none is missed or doubled.
FILL = [
    "LOCK TABLE listening_mention IN SHARE ROW EXCLUSIVE MODE",
    f"INSERT INTO listening_authoractivity ({KEY}, {COLUMNS}) "
    f"SELECT r.client_id, r.author_id, {SPOKEN} FROM listening_mention r GROUP BY 1, 2",
]
DROP = [
    *(f"DROP TRIGGER listening_author_activity_{op} ON listening_mention"
      for op in ("insert", "update", "delete", "truncate")),
    "DROP FUNCTION listening_author_activity()",
]  # fmt: skip


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

"""Per client and author: when they last spoke (spam aside) and last spoke positively, kept by
statement-level triggers on the mentions table and filled once from the mentions there."""

from django.db import migrations, models

SAID = "max(posted_at) FILTER (WHERE NOT is_spam)"
POSITIVE = "max(posted_at) FILTER (WHERE NOT is_spam AND sentiment = 'positive')"
# An UPDATE matters when one of these changed; the mentions' own rows (old or new) name the pairs.
COLUMNS = "client_id, author_id, posted_at, is_spam, sentiment"


def _quote(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


def _execute(sql: str) -> str:
    return f"EXECUTE format({_quote(sql)}, VARIADIC array_fill(TG_TABLE_SCHEMA::text, ARRAY[3]));"


RAISED = f"""INSERT INTO %I.listening_authoractivity AS t
    (client_id, author_id, last_said_at, last_positive_at)
    SELECT client_id, author_id, {SAID}, {POSITIVE} FROM new_rows GROUP BY client_id, author_id
    ON CONFLICT (client_id, author_id) DO UPDATE SET
        last_said_at = GREATEST(t.last_said_at, EXCLUDED.last_said_at),
        last_positive_at = GREATEST(t.last_positive_at, EXCLUDED.last_positive_at)"""


def recomputed(pairs: str) -> str:
    """Upsert of the pairs of ``pairs`` (client_id, author_id), read again from the mentions."""
    return f"""INSERT INTO %I.listening_authoractivity AS t
    (client_id, author_id, last_said_at, last_positive_at)
    SELECT p.client_id, p.author_id,
        (SELECT max(m.posted_at) FROM %I.listening_mention m
         WHERE m.author_id = p.author_id AND m.client_id = p.client_id AND NOT m.is_spam),
        (SELECT max(m.posted_at) FROM %I.listening_mention m
         WHERE m.author_id = p.author_id AND m.client_id = p.client_id AND NOT m.is_spam
           AND m.sentiment = 'positive')
    FROM ({pairs}) p
    ON CONFLICT (client_id, author_id) DO UPDATE SET
        last_said_at = EXCLUDED.last_said_at, last_positive_at = EXCLUDED.last_positive_at"""


DELETED = recomputed("SELECT DISTINCT client_id, author_id FROM old_rows")
UPDATED = recomputed(
    f"""SELECT o.client_id, o.author_id FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.{COLUMNS.replace(", ", ", o.")}) IS DISTINCT FROM (n.{COLUMNS.replace(", ", ", n.")})
        UNION SELECT n.client_id, n.author_id FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.{COLUMNS.replace(", ", ", o.")}) IS DISTINCT FROM (n.{COLUMNS.replace(", ", ", n.")})"""
)
FUNCTION = f"""
CREATE FUNCTION listening_author_activity() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_execute(RAISED)}
    ELSIF TG_OP = 'DELETE' THEN
        {_execute(DELETED)}
    ELSIF TG_OP = 'UPDATE' THEN
        {_execute(UPDATED)}
    ELSE  -- TRUNCATE
        {_execute("DELETE FROM %I.listening_authoractivity")}
    END IF;
    RETURN NULL;
END
$body$
"""
TRIGGERS = [
    "CREATE TRIGGER listening_author_activity_insert AFTER INSERT ON listening_mention "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION listening_author_activity()",
    "CREATE TRIGGER listening_author_activity_update AFTER UPDATE ON listening_mention "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION listening_author_activity()",
    "CREATE TRIGGER listening_author_activity_delete AFTER DELETE ON listening_mention "
    "REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION listening_author_activity()",
    "CREATE TRIGGER listening_author_activity_truncate AFTER TRUNCATE ON listening_mention "
    "FOR EACH STATEMENT EXECUTE FUNCTION listening_author_activity()",
]
FILL = [
    "LOCK TABLE listening_mention IN SHARE ROW EXCLUSIVE MODE",
    "INSERT INTO listening_authoractivity (client_id, author_id, last_said_at, last_positive_at) "
    f"SELECT client_id, author_id, {SAID}, {POSITIVE} FROM listening_mention "
    "GROUP BY client_id, author_id",
]
DROP = [
    *(f"DROP TRIGGER listening_author_activity_{op} ON listening_mention"
      for op in ("insert", "update", "delete", "truncate")),
    "DROP FUNCTION listening_author_activity()",
]


class Migration(migrations.Migration):
    dependencies = [("listening", "0017_mention_counts")]

    operations = [
        migrations.CreateModel(
            name="AuthorActivity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.BigIntegerField()),
                ("author_id", models.BigIntegerField()),
                ("last_said_at", models.DateTimeField(null=True)),
                ("last_positive_at", models.DateTimeField(null=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("client_id", "author_id"), name="unique_author_activity")
                ],
            },
        ),
        migrations.RunSQL([*FILL, FUNCTION, *TRIGGERS], DROP),
    ]

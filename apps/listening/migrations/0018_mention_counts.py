"""Status counts kept by the database: ``MentionCount`` and the statement-level triggers on the
mentions table that add a delta row per changed key (read by ``mention_status_counts``), filled once
from the mentions already there. Tenant clones copy the function and triggers
(``apps.tenants.cloning``)."""

from django.db import migrations, models

DIMENSIONS = (
    "client_id, channel_id, team_id, sentiment, intent, priority, status, needs_acknowledgement"
)

# One function for the four triggers: the transition tables hold the statement's rows (a bulk
# UPDATE, ingest's INSERT ... SELECT, a COPY, a purge), grouped into one delta per key.
# Static statements on unqualified names, so their plans are cached for the session (dynamic SQL
# cost ~1.5 ms a statement, measured): the trigger's own schema is put first on the search path
# for the call when it is not already (django-tenants always has it first).
FUNCTION = f"""
CREATE FUNCTION listening_mention_count() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    path text;
BEGIN
    IF TG_TABLE_SCHEMA IS DISTINCT FROM current_schema() THEN
        path := current_setting('search_path');
        PERFORM set_config('search_path', quote_ident(TG_TABLE_SCHEMA) || ', public', true);
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO listening_mentioncount ({DIMENSIONS}, n)
            SELECT {DIMENSIONS}, count(*) FROM new_rows GROUP BY {DIMENSIONS};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO listening_mentioncount ({DIMENSIONS}, n)
            SELECT {DIMENSIONS}, -count(*) FROM old_rows GROUP BY {DIMENSIONS};
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO listening_mentioncount ({DIMENSIONS}, n)
            SELECT {DIMENSIONS}, sum(n) FROM (
                SELECT {DIMENSIONS}, 1 AS n FROM new_rows
                UNION ALL SELECT {DIMENSIONS}, -1 FROM old_rows
            ) delta
            GROUP BY {DIMENSIONS} HAVING sum(n) <> 0;
    ELSE  -- TRUNCATE
        DELETE FROM listening_mentioncount;
    END IF;
    IF path IS NOT NULL THEN
        PERFORM set_config('search_path', path, true);
    END IF;
    RETURN NULL;
END
$body$;
"""
# A deleted client's counters go with it (its mentions' deltas sum to zero, but no row of a
# client may outlive an erasure).
FORGET = """
CREATE FUNCTION listening_mention_count_forget() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    EXECUTE format('DELETE FROM %I.listening_mentioncount
        WHERE client_id IN (SELECT id FROM old_clients)', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$body$
"""
TRIGGERS = [
    "CREATE TRIGGER listening_mention_count_insert AFTER INSERT ON listening_mention "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION listening_mention_count()",
    "CREATE TRIGGER listening_mention_count_update AFTER UPDATE ON listening_mention "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION listening_mention_count()",
    "CREATE TRIGGER listening_mention_count_delete AFTER DELETE ON listening_mention "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION listening_mention_count()",
    "CREATE TRIGGER listening_mention_count_truncate AFTER TRUNCATE ON listening_mention "
    "FOR EACH STATEMENT EXECUTE FUNCTION listening_mention_count()",
    "CREATE TRIGGER listening_mention_count_forget AFTER DELETE ON clients_client "
    "REFERENCING OLD TABLE AS old_clients "
    "FOR EACH STATEMENT EXECUTE FUNCTION listening_mention_count_forget()",
]
# Writers wait while the triggers are created and the counts filled: none is missed or doubled.
FILL = [
    "LOCK TABLE listening_mention IN SHARE ROW EXCLUSIVE MODE",
    f"INSERT INTO listening_mentioncount ({DIMENSIONS}, n) "
    f"SELECT {DIMENSIONS}, count(*) FROM listening_mention GROUP BY {DIMENSIONS}",
]
DROP = [
    *(f"DROP TRIGGER listening_mention_count_{op} ON listening_mention"
      for op in ("insert", "update", "delete", "truncate")),
    "DROP TRIGGER listening_mention_count_forget ON clients_client",
    "DROP FUNCTION listening_mention_count()",
    "DROP FUNCTION listening_mention_count_forget()",
]


class Migration(migrations.Migration):
    dependencies = [("listening", "0017_list_indexes"), ("clients", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="MentionCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.BigIntegerField()),
                ("channel_id", models.BigIntegerField()),
                ("team_id", models.BigIntegerField(null=True)),
                ("sentiment", models.CharField(max_length=10)),
                ("intent", models.CharField(max_length=10)),
                ("priority", models.CharField(max_length=10)),
                ("status", models.CharField(max_length=12)),
                ("needs_acknowledgement", models.BooleanField()),
                ("n", models.BigIntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["client_id"], name="mention_count_client_idx")],
            },
        ),
        migrations.RunSQL([*FILL, FUNCTION, FORGET, *TRIGGERS], DROP),
    ]

"""Status counts kept by the database: ``MentionCount`` and the statement-level triggers on the
mentions table that add a delta row per changed key (read by ``mention_status_counts``), filled once
from the mentions already there. Tenant clones copy the function and triggers
(``apps.tenants.cloning``)."""

from django.db import migrations, models

from apps.core.triggers import (
    statement_trigger_function,
    statement_triggers,
    statement_triggers_drop,
)

DIMENSIONS = (
    "client_id, channel_id, team_id, sentiment, intent, priority, status, needs_acknowledgement"
)

# One function for the four triggers: the transition tables hold the statement's rows (a bulk
# UPDATE, ingest's INSERT ... SELECT, a COPY, a purge), grouped into one delta per key.
FUNCTION = statement_trigger_function(
    "listening_mention_count",
    inserted=f"""INSERT INTO listening_mentioncount ({DIMENSIONS}, n)
            SELECT {DIMENSIONS}, count(*) FROM new_rows GROUP BY {DIMENSIONS}""",
    deleted=f"""INSERT INTO listening_mentioncount ({DIMENSIONS}, n)
            SELECT {DIMENSIONS}, -count(*) FROM old_rows GROUP BY {DIMENSIONS}""",
    updated=f"""INSERT INTO listening_mentioncount ({DIMENSIONS}, n)
            SELECT {DIMENSIONS}, sum(n) FROM (
                SELECT {DIMENSIONS}, 1 AS n FROM new_rows
                UNION ALL SELECT {DIMENSIONS}, -1 FROM old_rows
            ) delta
            GROUP BY {DIMENSIONS} HAVING sum(n) <> 0""",
    truncated="DELETE FROM listening_mentioncount",
)
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
    *statement_triggers("listening_mention_count", "listening_mention"),
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
    *statement_triggers_drop("listening_mention_count", "listening_mention"),
    "DROP TRIGGER listening_mention_count_forget ON clients_client",
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

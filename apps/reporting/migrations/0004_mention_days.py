"""Daily report figures kept by the database: ``MentionDay`` and the statement-level triggers on
the mentions table that add a delta row per changed (client, local day, channel, sentiment,
matched queries), plus a trigger rebuilding a client's days when its time zone changes; filled
once from the mentions already there. Tenant clones copy the functions and triggers."""

import django.contrib.postgres.fields
from django.db import migrations, models

from apps.core.triggers import (
    statement_trigger_function,
    statement_triggers,
    statement_triggers_drop,
)

KEY = "client_id, day, channel_id, sentiment, matched_queries"
NEEDING = "r.needs_acknowledgement"
ANSWERED = "r.needs_acknowledgement AND r.acknowledged_at IS NOT NULL"
FIRST_RESPONSE = f"{ANSWERED} AND NOT r.is_follow_up AND r.time_to_acknowledge_minutes >= "
# (column, condition or sum over ``r`` — a mention with its ``sign``, local ``day`` and ``day_end``)
MEASURES = (
    ("mentions", None),
    ("needing", NEEDING),
    ("acknowledged", ANSWERED),
    ("sla_answered", f"{ANSWERED} AND r.sla_due_at IS NOT NULL"),
    ("sla_met", f"{ANSWERED} AND r.acknowledged_at <= r.sla_due_at"),
    ("sla_missed_in_day", f"{NEEDING} AND r.acknowledged_at IS NULL AND r.sla_due_at < r.day_end"),
    ("score_sum", "sum(r.sign * COALESCE(r.sentiment_score::numeric, 0))"),
    ("score_count", "r.sentiment_score IS NOT NULL"),
    ("bucket_0", f"{FIRST_RESPONSE}0 AND r.time_to_acknowledge_minutes < 15"),
    ("bucket_1", f"{FIRST_RESPONSE}15 AND r.time_to_acknowledge_minutes < 60"),
    ("bucket_2", f"{FIRST_RESPONSE}60 AND r.time_to_acknowledge_minutes < 240"),
    ("bucket_3", f"{FIRST_RESPONSE}240 AND r.time_to_acknowledge_minutes < 1440"),
    ("bucket_4", f"{FIRST_RESPONSE}1440"),
)


def _sum(condition: str | None) -> str:
    if condition is None:
        return "sum(r.sign)"
    if condition.startswith("sum("):
        return condition
    return f"sum(CASE WHEN {condition} THEN r.sign ELSE 0 END)"


COLUMNS = ", ".join(name for name, _ in MEASURES)
SUMS = ", ".join(_sum(condition) for _, condition in MEASURES)
CHANGED = " OR ".join(f"{_sum(condition)} <> 0" for _, condition in MEASURES)


def rolled_up(rows: str, schema: str) -> str:
    """INSERT … SELECT of the delta rows of ``rows`` (mentions with a ``sign`` column)."""
    return f"""INSERT INTO {schema}reporting_mentionday ({KEY}, {COLUMNS})
        SELECT r.client_id, r.day, r.channel_id, r.sentiment, r.matched_queries, {SUMS}
        FROM (
            SELECT m.*, d.day, (d.day + 1)::timestamp AT TIME ZONE c.timezone AS day_end
            FROM ({rows}) m JOIN {schema}clients_client c ON c.id = m.client_id,
                 LATERAL (SELECT (m.posted_at AT TIME ZONE c.timezone)::date AS day) d
        ) r
        GROUP BY {KEY} HAVING {CHANGED}"""


_IN_FUNCTION = "%I."  # the trigger's schema, filled by format() (every %I: TG_TABLE_SCHEMA)


def _quote(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


def _execute(sql: str, using: str = "") -> str:
    return f"EXECUTE format({_quote(sql)}, VARIADIC array_fill(TG_TABLE_SCHEMA::text, ARRAY[3])){using};"


def function_sql() -> str:
    return statement_trigger_function(
        "reporting_mention_day",
        inserted=rolled_up("SELECT *, 1 AS sign FROM new_rows", ""),
        deleted=rolled_up("SELECT *, -1 AS sign FROM old_rows", ""),
        updated=rolled_up(
            "SELECT *, 1 AS sign FROM new_rows UNION ALL SELECT *, -1 AS sign FROM old_rows", ""
        ),
        truncated="DELETE FROM reporting_mentionday",
    )


def rezone_sql() -> str:
    """The client's days again, in its new time zone."""
    rebuild = rolled_up(
        "SELECT *, 1 AS sign FROM %I.listening_mention WHERE client_id = $1", _IN_FUNCTION
    )
    return f"""
CREATE FUNCTION reporting_mention_day_rezone() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    {_execute("DELETE FROM %I.reporting_mentionday WHERE client_id = $1", " USING NEW.id")}
    {_execute(rebuild, " USING NEW.id")}
    RETURN NULL;
END
$body$
"""


# A deleted client's days go with it: no row of a client may outlive an erasure.
FORGET = """
CREATE FUNCTION reporting_mention_day_forget() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    EXECUTE format('DELETE FROM %I.reporting_mentionday
        WHERE client_id IN (SELECT id FROM old_clients)', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$body$
"""
TRIGGERS = [
    *statement_triggers("reporting_mention_day", "listening_mention"),
    "CREATE TRIGGER reporting_mention_day_rezone AFTER UPDATE OF timezone ON clients_client "
    "FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone) "
    "EXECUTE FUNCTION reporting_mention_day_rezone()",
    "CREATE TRIGGER reporting_mention_day_forget AFTER DELETE ON clients_client "
    "REFERENCING OLD TABLE AS old_clients "
    "FOR EACH STATEMENT EXECUTE FUNCTION reporting_mention_day_forget()",
]
FILL = [
    "LOCK TABLE listening_mention IN SHARE ROW EXCLUSIVE MODE",
    rolled_up("SELECT *, 1 AS sign FROM listening_mention", ""),
]
DROP = [
    *statement_triggers_drop("reporting_mention_day", "listening_mention"),
    "DROP TRIGGER reporting_mention_day_rezone ON clients_client",
    "DROP TRIGGER reporting_mention_day_forget ON clients_client",
    "DROP FUNCTION reporting_mention_day_rezone()",
    "DROP FUNCTION reporting_mention_day_forget()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_forget_term_rollups_with_stop_words"),
        ("listening", "0018_mention_counts"),
        ("clients", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="MentionDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.BigIntegerField()),
                ("day", models.DateField()),
                ("channel_id", models.BigIntegerField()),
                ("sentiment", models.CharField(max_length=10)),
                ("matched_queries", django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), size=None)),
                ("mentions", models.BigIntegerField()),
                ("needing", models.BigIntegerField()),
                ("acknowledged", models.BigIntegerField()),
                ("sla_answered", models.BigIntegerField()),
                ("sla_met", models.BigIntegerField()),
                ("sla_missed_in_day", models.BigIntegerField()),
                ("score_sum", models.DecimalField(decimal_places=15, max_digits=30)),
                ("score_count", models.BigIntegerField()),
                ("bucket_0", models.BigIntegerField()),
                ("bucket_1", models.BigIntegerField()),
                ("bucket_2", models.BigIntegerField()),
                ("bucket_3", models.BigIntegerField()),
                ("bucket_4", models.BigIntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["client_id", "day"], name="mention_day_client_idx")],
            },
        ),
        migrations.RunSQL([*FILL, function_sql(), rezone_sql(), FORGET, *TRIGGERS], DROP),
    ]

"""Times to acknowledge per client, local day and bucket, kept by the database:
``ResponseTimeDay`` and statement-level triggers on the mentions table adding a delta row per
changed (client, day, business or wall-clock time, first response or follow-up, bucket), a
trigger rebuilding a client's days when its time zone changes and one forgetting a deleted
client; filled once from the mentions already there. Tenant clones copy the functions and
triggers. The bucket expression is ``apps.reporting.quantiles.BUCKET_SQL`` and the wall-clock
minutes ``quantiles.WALL_CLOCK_SQL`` (a test holds them equal); an index on the wall-clock
minutes lets a percentile read one bucket of them in order."""

from django.db import migrations, models

from apps.core.triggers import (
    statement_trigger_function,
    statement_triggers,
    statement_triggers_drop,
)

BUCKET = "least(floor(ln(1 + greatest({v}, 0)) * 16), 255)::smallint"
WALL_CLOCK = "date_part('epoch', {m}.acknowledged_at - {m}.posted_at) / 60"
KEY = "client_id, day, wall_clock, is_follow_up, bucket"


def rolled_up(rows: str, schema: str) -> str:
    """INSERT … SELECT of the delta rows of ``rows`` (mentions with a ``sign`` column)."""
    return f"""INSERT INTO {schema}reporting_responsetimeday ({KEY}, answers)
        SELECT m.client_id, (m.posted_at AT TIME ZONE c.timezone)::date, t.wall_clock,
               m.is_follow_up, {BUCKET.format(v="t.minutes")}, sum(m.sign)
        FROM ({rows}) m JOIN {schema}clients_client c ON c.id = m.client_id,
             LATERAL (VALUES (false, m.time_to_acknowledge_minutes),
                             (true, {WALL_CLOCK.format(m="m")})) t(wall_clock, minutes)
        WHERE m.needs_acknowledgement AND m.acknowledged_at IS NOT NULL
          AND t.minutes IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(m.sign) <> 0"""


def _quote(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


FUNCTION = statement_trigger_function(
    "reporting_response_time_day",
    inserted=rolled_up("SELECT *, 1 AS sign FROM new_rows", ""),
    deleted=rolled_up("SELECT *, -1 AS sign FROM old_rows", ""),
    updated=rolled_up(
        "SELECT *, 1 AS sign FROM new_rows UNION ALL SELECT *, -1 AS sign FROM old_rows", ""
    ),
    truncated="DELETE FROM reporting_responsetimeday",
)
_REBUILD = rolled_up("SELECT *, 1 AS sign FROM %I.listening_mention WHERE client_id = $1", "%I.")
REZONE = f"""
CREATE FUNCTION reporting_response_time_day_rezone() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    EXECUTE format('DELETE FROM %I.reporting_responsetimeday WHERE client_id = $1',
                   TG_TABLE_SCHEMA) USING NEW.id;
    EXECUTE format({_quote(_REBUILD)}, VARIADIC array_fill(TG_TABLE_SCHEMA::text, ARRAY[3]))
        USING NEW.id;
    RETURN NULL;
END
$body$
"""
# A deleted client's days go with it: no row of a client may outlive an erasure.
FORGET = """
CREATE FUNCTION reporting_response_time_day_forget() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    EXECUTE format('DELETE FROM %I.reporting_responsetimeday
        WHERE client_id IN (SELECT id FROM old_clients)', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$body$
"""
TRIGGERS = [
    *statement_triggers("reporting_response_time_day", "listening_mention"),
    "CREATE TRIGGER reporting_response_time_day_rezone AFTER UPDATE OF timezone ON clients_client "
    "FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone) "
    "EXECUTE FUNCTION reporting_response_time_day_rezone()",
    "CREATE TRIGGER reporting_response_time_day_forget AFTER DELETE ON clients_client "
    "REFERENCING OLD TABLE AS old_clients "
    "FOR EACH STATEMENT EXECUTE FUNCTION reporting_response_time_day_forget()",
]
FILL = [
    "LOCK TABLE listening_mention IN SHARE ROW EXCLUSIVE MODE",
    rolled_up("SELECT *, 1 AS sign FROM listening_mention", ""),
    "CREATE INDEX mention_wall_clock_idx ON listening_mention "
    f"(client_id, is_follow_up, ({WALL_CLOCK.format(m='listening_mention')})) "
    "INCLUDE (posted_at, acknowledged_at) "
    "WHERE needs_acknowledgement AND acknowledged_at IS NOT NULL",
]
DROP = [
    *statement_triggers_drop("reporting_response_time_day", "listening_mention"),
    "DROP TRIGGER reporting_response_time_day_rezone ON clients_client",
    "DROP TRIGGER reporting_response_time_day_forget ON clients_client",
    "DROP FUNCTION reporting_response_time_day_rezone()",
    "DROP FUNCTION reporting_response_time_day_forget()",
    "DROP INDEX mention_wall_clock_idx",
]


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0005_report_schedules"),
        ("listening", "0020_response_time_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ResponseTimeDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.BigIntegerField()),
                ("day", models.DateField()),
                ("wall_clock", models.BooleanField()),
                ("is_follow_up", models.BooleanField()),
                ("bucket", models.SmallIntegerField()),
                ("answers", models.BigIntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["client_id", "day"], name="response_day_client_idx")],
            },
        ),
        migrations.RunSQL([*FILL, FUNCTION, REZONE, FORGET, *TRIGGERS], DROP),
    ]

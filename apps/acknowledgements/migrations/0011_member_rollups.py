"""Per-member figures kept by the database: ``AcknowledgementHour`` (acknowledgements per client,
person, UTC hour and quarter of it) and ``FirstResponseDay`` (first responses per client, person,
local day and bucket of minutes), with statement-level triggers on the acknowledgements table
adding a delta row per changed key, a trigger rebuilding a client's days when its time zone
changes and one forgetting a deleted client; filled once from the acknowledgements already
there. An index on each person's first responses by bucket and time lets a percentile read one
bucket of one period alone. The bucket expression is ``apps.acknowledgements.rollups.BUCKET_SQL``
(a test holds them equal). Tenant clones copy the functions and triggers."""

from django.db import migrations, models

from apps.core.triggers import (
    statement_trigger_function,
    statement_triggers,
    statement_triggers_drop,
)

BUCKET = "least(floor(ln(1 + greatest({v}, 0)) * 16), 255)::smallint"
COLUMNS = "client_id, user_id, created_at, first_response_minutes"
QUARTER = "(date_part('minute', a.created_at AT TIME ZONE 'UTC')::int / 15)"


def hours(rows: str, schema: str) -> str:
    """INSERT … SELECT of the hour delta rows of ``rows`` (acknowledgements with a ``sign``)."""
    quarters = ", ".join(
        f"coalesce(sum(a.sign) FILTER (WHERE {QUARTER} = {n}), 0)" for n in range(4)
    )
    return f"""INSERT INTO {schema}acknowledgements_acknowledgementhour
            (client_id, user_id, hour, quarter_0, quarter_1, quarter_2, quarter_3)
        SELECT * FROM (
            SELECT a.client_id, a.user_id, date_trunc('hour', a.created_at, 'UTC') AS hour,
                   {quarters}
            FROM ({rows}) a WHERE a.user_id IS NOT NULL
            GROUP BY 1, 2, 3
        ) delta (client_id, user_id, hour, q0, q1, q2, q3)
        WHERE q0 <> 0 OR q1 <> 0 OR q2 <> 0 OR q3 <> 0"""


def days(rows: str, schema: str) -> str:
    """INSERT … SELECT of the first-response delta rows of ``rows``."""
    return f"""INSERT INTO {schema}acknowledgements_firstresponseday
            (client_id, user_id, day, bucket, responses)
        SELECT a.client_id, a.user_id, (a.created_at AT TIME ZONE c.timezone)::date,
               {BUCKET.format(v="a.first_response_minutes")}, sum(a.sign)
        FROM ({rows}) a JOIN {schema}clients_client c ON c.id = a.client_id
        WHERE a.user_id IS NOT NULL AND a.first_response_minutes IS NOT NULL
        GROUP BY 1, 2, 3, 4 HAVING sum(a.sign) <> 0"""


def both(rows: str) -> str:
    return f"{hours(rows, '')};\n        {days(rows, '')}"


_NEW = f"SELECT {COLUMNS}, 1 AS sign FROM new_rows"
_OLD = f"SELECT {COLUMNS}, -1 AS sign FROM old_rows"
FUNCTION = statement_trigger_function(
    "acknowledgements_member_rollup",
    inserted=both(_NEW),
    deleted=both(_OLD),
    updated=both(f"{_NEW} UNION ALL {_OLD}"),
    truncated="DELETE FROM acknowledgements_acknowledgementhour;\n"
    "        DELETE FROM acknowledgements_firstresponseday",
)


def _quote(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


_REBUILD = days(
    f"SELECT {COLUMNS}, 1 AS sign FROM %I.acknowledgements_acknowledgement WHERE client_id = $1",
    "%I.",
)
# A client's local days again, in its new time zone (the UTC hours stay as they are).
REZONE = f"""
CREATE FUNCTION acknowledgements_member_rollup_rezone() RETURNS trigger LANGUAGE plpgsql
AS $body$
BEGIN
    EXECUTE format('DELETE FROM %I.acknowledgements_firstresponseday WHERE client_id = $1',
                   TG_TABLE_SCHEMA) USING NEW.id;
    EXECUTE format({_quote(_REBUILD)}, VARIADIC array_fill(TG_TABLE_SCHEMA::text, ARRAY[3]))
        USING NEW.id;
    RETURN NULL;
END
$body$
"""
# A deleted client's figures go with it: no row of a client may outlive an erasure.
FORGET = """
CREATE FUNCTION acknowledgements_member_rollup_forget() RETURNS trigger LANGUAGE plpgsql
AS $body$
BEGIN
    EXECUTE format('DELETE FROM %I.acknowledgements_acknowledgementhour
        WHERE client_id IN (SELECT id FROM old_clients)', TG_TABLE_SCHEMA);
    EXECUTE format('DELETE FROM %I.acknowledgements_firstresponseday
        WHERE client_id IN (SELECT id FROM old_clients)', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$body$
"""
TRIGGERS = [
    *statement_triggers("acknowledgements_member_rollup", "acknowledgements_acknowledgement"),
    "CREATE TRIGGER acknowledgements_member_rollup_rezone AFTER UPDATE OF timezone "
    "ON clients_client FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone) "
    "EXECUTE FUNCTION acknowledgements_member_rollup_rezone()",
    "CREATE TRIGGER acknowledgements_member_rollup_forget AFTER DELETE ON clients_client "
    "REFERENCING OLD TABLE AS old_clients "
    "FOR EACH STATEMENT EXECUTE FUNCTION acknowledgements_member_rollup_forget()",
]
_ALL = f"SELECT {COLUMNS}, 1 AS sign FROM acknowledgements_acknowledgement"
FILL = [
    "LOCK TABLE acknowledgements_acknowledgement IN SHARE ROW EXCLUSIVE MODE",
    hours(_ALL, ""),
    days(_ALL, ""),
    "CREATE INDEX ack_member_bucket_idx ON acknowledgements_acknowledgement "
    f"(client_id, user_id, ({BUCKET.format(v='first_response_minutes')}), created_at) "
    "INCLUDE (first_response_minutes) WHERE first_response_minutes IS NOT NULL",
]
DROP = [
    *statement_triggers_drop("acknowledgements_member_rollup", "acknowledgements_acknowledgement"),
    "DROP TRIGGER acknowledgements_member_rollup_rezone ON clients_client",
    "DROP TRIGGER acknowledgements_member_rollup_forget ON clients_client",
    "DROP FUNCTION acknowledgements_member_rollup_rezone()",
    "DROP FUNCTION acknowledgements_member_rollup_forget()",
    "DROP INDEX ack_member_bucket_idx",
]


class Migration(migrations.Migration):
    dependencies = [
        ("acknowledgements", "0010_members_covering_index"),
        ("clients", "0004_client_locale_logo"),
    ]

    operations = [
        migrations.CreateModel(
            name="AcknowledgementHour",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.BigIntegerField()),
                ("user_id", models.BigIntegerField()),
                ("hour", models.DateTimeField()),
                ("quarter_0", models.IntegerField()),
                ("quarter_1", models.IntegerField()),
                ("quarter_2", models.IntegerField()),
                ("quarter_3", models.IntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["client_id", "hour"], name="ack_hour_client_idx")],
            },
        ),
        migrations.CreateModel(
            name="FirstResponseDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.BigIntegerField()),
                ("user_id", models.BigIntegerField()),
                ("day", models.DateField()),
                ("bucket", models.SmallIntegerField()),
                ("responses", models.IntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["client_id", "day"], name="first_response_day_client_idx")],
            },
        ),
        migrations.RunSQL([*FILL, FUNCTION, REZONE, FORGET, *TRIGGERS], DROP),
    ]

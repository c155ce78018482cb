"""Every acknowledgement that counts beside the same person's previous one: ``AcknowledgedMention``
and the statement-level triggers on the mentions table that keep it in the transaction of every
change, filled once from the mentions already there while writers wait. The advocacy funnel reads
each person's first acknowledgement of a period as one row of it instead of grouping their
acknowledgements. Tenant clones copy the function and triggers (``apps.tenants.cloning``)."""

from django.db import migrations, models

from apps.core.triggers import (
    statement_trigger_function,
    statement_triggers,
    statement_triggers_drop,
)

TABLE = "listening_acknowledgedmention"
COLUMNS = "client_id, author_id, acknowledged_at, mention_id, previous_at"
# An acknowledgement counts when the mention needs one and is not spam (as the funnel always
# counted them); ``ROW`` is what places it in its person's chain.
COUNTED = "acknowledged_at IS NOT NULL AND needs_acknowledgement AND NOT is_spam"
ROW = "client_id, author_id, acknowledged_at, id"
CHAIN = "PARTITION BY client_id, author_id ORDER BY acknowledged_at, mention_id"
# Above this many people in one statement (a purge, a client's erasure) the table is locked
# instead of each person: every advisory lock takes a slot of the server's shared lock table.
PEOPLE_LOCKED_ONE_BY_ONE = 64
# Advisory-lock namespace of a person's chain (7301: one fetch per channel; 7302: agency slots).
LOCK_CLASS = 7303


def _apply(added: str | None, gone: str | None) -> str:
    """Statements writing the counted acknowledgements a statement ``added`` and those now
    ``gone`` (queries of ``ROW``), then setting ``previous_at`` again from each person's earliest
    change on: only the tail of a chain is read, so acknowledging today costs the same however
    many acknowledgements came before.

    A chain spans rows written by several transactions, so writers of one person take turns: an
    advisory lock per person in key order (two statements never deadlock on them), taken before
    the table is read, so that each later statement's snapshot sees the chain the previous
    writer committed (at READ COMMITTED, as every writer of mentions runs)."""
    changes = " UNION ALL ".join(
        f"SELECT {ROW} FROM ({rows}) c" for rows in (added, gone) if rows is not None
    )
    adding = f"UNION ALL SELECT {ROW}, NULL, 'added' FROM added" if added else ""
    chain = f"""people AS (
            SELECT client_id, author_id, min(acknowledged_at) AS since FROM ({changes}) c
            GROUP BY client_id, author_id
        ), chain AS (
            SELECT r.*, lag(acknowledged_at) OVER ({CHAIN}) AS previous FROM (
                SELECT tail.* FROM people p CROSS JOIN LATERAL (
                    (SELECT {COLUMNS}, 'before' AS role FROM {TABLE} k
                     WHERE k.client_id = p.client_id AND k.author_id = p.author_id
                       AND k.acknowledged_at < p.since
                     ORDER BY k.acknowledged_at DESC, k.mention_id DESC LIMIT 1)
                    UNION ALL
                    SELECT {COLUMNS}, 'kept' FROM {TABLE} k
                    WHERE k.client_id = p.client_id AND k.author_id = p.author_id
                      AND k.acknowledged_at >= p.since
                ) tail
                {adding}
            ) r
        )"""
    moved = f"""UPDATE {TABLE} k SET previous_at = chain.previous FROM chain
            WHERE chain.role = 'kept' AND chain.previous_at IS DISTINCT FROM chain.previous
              AND k.client_id = chain.client_id AND k.author_id = chain.author_id
              AND k.acknowledged_at = chain.acknowledged_at AND k.mention_id = chain.mention_id"""
    write = []
    if gone:
        write.append(f"""DELETE FROM {TABLE} k USING ({gone}) g
            WHERE k.client_id = g.client_id AND k.author_id = g.author_id
              AND k.acknowledged_at = g.acknowledged_at AND k.mention_id = g.id""")
    if added:
        write.append(f"""WITH added AS ({added}), {chain}, moved AS ({moved})
        INSERT INTO {TABLE} ({COLUMNS})
            SELECT client_id, author_id, acknowledged_at, mention_id, previous FROM chain
            WHERE role = 'added' ORDER BY 1, 2, 3, 4""")
    else:
        write.append(f"WITH {chain} {moved}")
    statements = ";\n        ".join(write)
    return f"""IF EXISTS ({changes}) THEN
        IF (SELECT count(*) FROM (SELECT DISTINCT client_id, author_id FROM ({changes}) c) p)
                > {PEOPLE_LOCKED_ONE_BY_ONE} THEN
            LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE;
        ELSE
            PERFORM pg_advisory_xact_lock({LOCK_CLASS}, person.key) FROM (
                SELECT DISTINCT hashtext(format('%s %s %s', TG_TABLE_SCHEMA, client_id, author_id))
                    AS key
                FROM ({changes}) c ORDER BY 1
            ) person;
        END IF;
        {statements};
    END IF"""


_NEW = f"SELECT {ROW} FROM new_rows WHERE {COUNTED}"
_OLD = f"SELECT {ROW} FROM old_rows WHERE {COUNTED}"
# Ingest's inserts of unacknowledged mentions stop at the first test: nothing counted among them.
# An update counts as a change only where a mention's place in a chain moved (EXCEPT: hashed, not
# a join of the statement's rows).
FUNCTION = statement_trigger_function(
    "listening_acknowledged_mention",
    inserted=_apply(_NEW, None),
    updated=_apply(f"{_NEW} EXCEPT {_OLD}", f"{_OLD} EXCEPT {_NEW}"),
    deleted=_apply(None, _OLD),
    truncated=f"DELETE FROM {TABLE}",
)
TRIGGERS = statement_triggers("listening_acknowledged_mention", "listening_mention")
DROP = statement_triggers_drop("listening_acknowledged_mention", "listening_mention")
# Writers wait while the chains are filled and the triggers created: none is missed or doubled.
FILL = [
    "LOCK TABLE listening_mention IN SHARE ROW EXCLUSIVE MODE",
    f"""INSERT INTO {TABLE} ({COLUMNS})
        SELECT client_id, author_id, acknowledged_at, id,
               lag(acknowledged_at) OVER (PARTITION BY client_id, author_id
                                          ORDER BY acknowledged_at, id)
        FROM listening_mention WHERE {COUNTED} ORDER BY 1, 2, 3, 4""",
]


class Migration(migrations.Migration):
    dependencies = [("listening", "0024_open_assignee_index")]

    operations = [
        migrations.CreateModel(
            name="AcknowledgedMention",
            fields=[
                ("pk", models.CompositePrimaryKey("client_id", "author_id", "acknowledged_at", "mention_id", blank=True, editable=False, primary_key=True, serialize=False)),
                ("client_id", models.BigIntegerField()),
                ("author_id", models.BigIntegerField()),
                ("acknowledged_at", models.DateTimeField()),
                ("mention_id", models.BigIntegerField()),
                ("previous_at", models.DateTimeField(null=True)),
            ],
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="acknowledgedmention",
            index=models.Index(fields=["client_id", "acknowledged_at"], include=("author_id", "previous_at"), name="acknowledged_mention_time_idx"),
        ),
        # Statistics now, not at the next autovacuum: the funnel's plan depends on them.
        migrations.RunSQL([f"ANALYZE {TABLE}", FUNCTION, *TRIGGERS], DROP),
    ]

"""Advocates: authors who keep speaking well of a client, marked again each night."""

from __future__ import annotations

from django.db import connection

from apps.listening.models import Author, Mention

from ..advocacy import advocacy

# --- advocacy ------------------------------------------------------------------------------------


def advocates_refresh() -> int:
    """Recompute every author's advocate flag and ``advocate_since`` (one UPDATE): an advocate
    spoke positively of a client, unprompted (``advocacy``), after that client first
    acknowledged them; anyone else is not (spammers, the brand, people who only thanked us
    under our reply). Ingest marks new advocates page by page; this catches up after
    acknowledgements recorded afterwards (imports, the demo) and after corrections."""
    author, mention = Author._meta.db_table, Mention._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH first_ack AS (
                SELECT author_id, client_id, min(acknowledged_at) AS acknowledged_at
                FROM {mention} WHERE acknowledged_at IS NOT NULL
                GROUP BY author_id, client_id
            ), praise AS (
                SELECT later.author_id, min(later.posted_at) AS first_at
                FROM {mention} later
                JOIN first_ack ON first_ack.author_id = later.author_id
                              AND first_ack.client_id = later.client_id
                WHERE later.posted_at > first_ack.acknowledged_at AND {advocacy("later")}
                GROUP BY later.author_id
            )
            UPDATE {author} author
            SET is_advocate = praise.first_at IS NOT NULL, advocate_since = praise.first_at
            FROM {author} everyone LEFT JOIN praise ON praise.author_id = everyone.id
            WHERE author.id = everyone.id
              AND (author.is_advocate, author.advocate_since)
                  IS DISTINCT FROM (praise.first_at IS NOT NULL, praise.first_at)
            """  # noqa: S608 - names from model metadata
        )
        return cursor.rowcount

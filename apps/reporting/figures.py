"""How the report writes its figures down and reads its raw queries: shares and measures
rounded as people read them, and a statement's rows as dicts by column name."""

from __future__ import annotations

from django.db import connection


def ratio(part, whole) -> float | None:
    """A share (0..1) to four decimals: a whole percentage with two decimals to spare."""
    return round(part / whole, 4) if whole else None


def rounded(value) -> float | None:
    """A measured figure (minutes, scores, money) as people read it: two decimals at most."""
    return None if value is None else round(float(value), 2)


def dict_rows(sql: str, params: dict, cursor=None) -> list[dict]:
    """The rows of ``sql`` as dicts by column name (on ``cursor``, or a new one)."""
    if cursor is None:
        with connection.cursor() as cursor:
            return dict_rows(sql, params, cursor)
    cursor.execute(sql, params)
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

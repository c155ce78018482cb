"""Keyset (cursor) pages of an ordered queryset: a page reads its rows from where the last one
ended — through the index that matches the ordering — so page 1,000 costs what page 1 costs.

The cursor holds the last row's ordering keys (opaque, URL-safe). The first key may be nullable
when its nulls sort last (``F(...).asc(nulls_last=True)``): the rows with a value come first,
then those without, by the remaining keys. The last key must be unique (the primary key).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, OrderBy, Q, QuerySet


class InvalidCursor(ValueError):
    """A cursor that is not one of ours, or was made for another ordering."""


@dataclass(frozen=True)
class Key:
    name: str  # attribute of the row (a field's name or an annotation), "pk" for the id
    descending: bool
    nulls_last: bool = False


def ordering_keys(queryset: QuerySet) -> list[Key]:
    """The keys ``queryset`` is ordered by (``order_by`` strings or ``F(...).asc/desc()``)."""
    keys = []
    for term in queryset.query.order_by:
        if isinstance(term, str):
            keys.append(Key(term.lstrip("-"), term.startswith("-")))
        elif isinstance(term, OrderBy) and isinstance(term.expression, F):
            keys.append(Key(term.expression.name, term.descending, bool(term.nulls_last)))
        else:
            raise ValueError(f"Cannot page by {term!r}: order by names or F() expressions.")
    if not keys or keys[-1].name not in ("pk", "id"):
        raise ValueError("A keyset ordering must end with the primary key.")
    return keys


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _signature(keys: list[Key]) -> list[str]:
    return [f"{'-' if k.descending else ''}{k.name}" for k in keys]


def encode_cursor(keys: list[Key], row: Any, *, backwards: bool = False) -> str:
    """The cursor of the page after ``row`` (before it, ``backwards``)."""
    payload = {"o": _signature(keys), "v": [_plain(getattr(row, k.name)) for k in keys]}
    if backwards:
        payload["b"] = 1
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(keys: list[Key], cursor: str, queryset: QuerySet) -> tuple[list[Any], bool]:
    """The key values ``cursor`` holds, parsed as the queryset's fields, and whether it points
    backwards; ``InvalidCursor`` if it is not one of this list's."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        names, values, backwards = payload["o"], payload["v"], bool(payload.get("b"))
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        raise InvalidCursor("Not a cursor of this list.") from None
    if names != _signature(keys) or not isinstance(values, list) or len(values) != len(keys):
        raise InvalidCursor("This cursor belongs to another ordering of the list.")
    model = queryset.model
    parsed = []
    for key, value in zip(keys, values, strict=True):
        if value is None:
            if not key.nulls_last or key is not keys[0]:
                raise InvalidCursor("Not a cursor of this list.")
            parsed.append(None)
            continue
        field = model._meta.pk if key.name == "pk" else _field(model, key.name)
        try:
            parsed.append(field.to_python(value) if field is not None else float(value))
        except Exception:  # any unparsable value is a bad cursor
            raise InvalidCursor("Not a cursor of this list.") from None
    return parsed, backwards


def _field(model, name: str):
    try:
        return model._meta.get_field(name)
    except Exception:  # an annotation (a rank): a number
        return None


def _after(keys: list[Key], values: list[Any]) -> Q:
    """Rows after ``values`` in the lexicographic order of ``keys`` (no nulls among them)."""
    key, value = keys[0], values[0]
    beyond = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
    if len(keys) == 1:
        return beyond
    return beyond | (Q(**{key.name: value}) & _after(keys[1:], values[1:]))


def _seek(queryset: QuerySet, keys: list[Key], values: list[Any], count: int, forward: bool):
    """Up to ``count`` rows after ``values`` (``forward``) or before them, nearest first."""
    if not forward:
        queryset = queryset.reverse()
        keys = [Key(k.name, not k.descending, k.nulls_last) for k in keys]
    first = keys[0]
    nullable = keys[0].nulls_last  # forward, its nulls come last; backward, first
    if nullable and values[0] is None:  # among the rows without a first key, by the rest
        rows = list(
            queryset.filter(Q(**{f"{first.name}__isnull": True}), _after(keys[1:], values[1:]))[
                :count
            ]
        )
        if not forward and len(rows) < count:
            rows += list(queryset.filter(**{f"{first.name}__isnull": False})[: count - len(rows)])
        return rows
    # The bound on the first key alone is what the index range scan starts from.
    bound = Q(**{f"{first.name}__{'lte' if first.descending else 'gte'}": values[0]})
    rows = list(queryset.filter(bound, _after(keys, values))[:count])
    if nullable and forward and len(rows) < count:
        rows += list(queryset.filter(**{f"{first.name}__isnull": True})[: count - len(rows)])
    return rows


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None


def keyset_page(queryset: QuerySet, size: int, cursor: str | None) -> Page:
    """Up to ``size`` rows of ``queryset`` from ``cursor`` (the first page without one), with
    the cursors of the pages after and before it (None at either end).
    ``InvalidCursor`` for a bad cursor."""
    keys = ordering_keys(queryset)
    if cursor is None:
        rows = list(queryset[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return Page(rows, encode_cursor(keys, rows[-1]) if more else None, None)
    values, backwards = decode_cursor(keys, cursor, queryset)
    rows = _seek(queryset, keys, values, size + 1, forward=not backwards)
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        following = encode_cursor(keys, rows[-1]) if rows else None
        before = encode_cursor(keys, rows[0], backwards=True) if more else None
        return Page(rows, following, before)
    following = encode_cursor(keys, rows[-1]) if more else None
    before = encode_cursor(keys, rows[0], backwards=True) if rows else None
    return Page(rows, following, before)

"""What PostgreSQL (or psycopg reading it back) would refuse, asked before a value reaches it.

One place says which values cannot be stored or compared: text with NUL characters or lone
UTF-16 surrogates, whole numbers outside ``bigint``, date-times whose offset PostgreSQL does not
accept (16 hours or more) or whose UTC instant falls outside years 1 to 9999. The API's filters,
pagination and JSON parser and the ingest of mentions all ask ``database_refusal``, so a hostile
value is a 400 naming its field (or one refused item), never a 500.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
MAX_OFFSET = timedelta(hours=16)  # PostgreSQL: "time zone displacement out of range" at 16 h


def text_refusal(value: str) -> str:
    """Why PostgreSQL would refuse the text ``value`` (empty if it would not)."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (it holds a lone surrogate)"
    return ""


def moment_refusal(value: datetime) -> str:
    """Why PostgreSQL (or reading it back) would refuse the date-time ``value``."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) >= MAX_OFFSET:
        return "has a time-zone offset out of range (at most ±15:59)"
    if offset is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            return "is out of range (years 1 to 9999)"
    return ""


def database_refusal(value: Any) -> str:
    """Why the database would refuse ``value`` or anything inside it (empty if it would not);
    a refusal inside names where it is, e.g. ``brand_accounts[0].handle: must not contain …``."""
    where, reason = database_refusal_at(value)
    return f"{where}: {reason}" if where and reason else reason


def database_refusal_at(value: Any) -> tuple[str, str]:
    """``(where, why)`` for the first part of ``value`` the database would refuse, else
    ``("", "")``. Lists, tuples, sets and mappings are walked without recursion, however deep;
    ``where`` is a path such as ``mentions[2].author.handle`` (empty for ``value`` itself)."""
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                key_reason = text_refusal(key) if isinstance(key, str) else ""
                if key_reason:
                    return where, f"a key {key_reason}"
                pending.append((f"{where}.{key}" if where else str(key), inner))
            continue
        if isinstance(item, list | tuple | set | frozenset):
            pending.extend((f"{where}[{index}]", inner) for index, inner in enumerate(item))
            continue
        reason = _scalar_refusal(item)
        if reason:
            return where, reason
    return "", ""


def _scalar_refusal(value: Any) -> str:
    if isinstance(value, str):
        return text_refusal(value)
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return "" if BIGINT_MIN <= value <= BIGINT_MAX else "is out of range"
    if isinstance(value, datetime):
        return moment_refusal(value)
    return ""


class TooDeep(ValueError):
    """JSON nested deeper than the parser can follow."""


def json_loads(text: str | bytes) -> Any:
    """``json.loads`` that answers deep nesting (``[[[[…``) with ``TooDeep``, a ``ValueError``,
    instead of a ``RecursionError``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise TooDeep("JSON nested too deeply") from None

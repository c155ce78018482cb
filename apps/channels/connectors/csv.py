"""CSV imports of mentions: every row validated and every bad row reported; all or nothing.

Columns (header row, any order, case-insensitive): ``external_id``, ``text``, ``url``,
``posted_at``, ``kind``, ``parent_external_id``, ``rating``, ``author_handle``,
``author_display_name``, ``author_followers`` and optionally ``author_profile_url``. Row numbers
count the header as row 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from .base import (
    ChannelLike,
    FetchNotSupported,
    FetchPage,
    MentionData,
    PlatformDescription,
    ReplyNotSupported,
    ReplyResult,
)
from .webhook import FIELDS, build_mention

DESCRIPTION = PlatformDescription(label="CSV import", fetches=False)

COLUMNS = tuple(name.replace(".", "_") for name in FIELDS)
REQUIRED_COLUMNS = ("external_id", "posted_at", "author_handle")
MAX_ROWS = 100_000
HEADER_ROW = 1


class CsvImportError(ValueError):
    """Why the file was refused: ``rows`` is ``[(row_number, {column: message}), …]``."""

    def __init__(self, rows: list[tuple[int, dict[str, str]]]):
        shown = "; ".join(f"row {number}: {errors}" for number, errors in rows[:3])
        super().__init__(f"{len(rows)} invalid rows in the CSV file: {shown}")
        self.rows = rows


def fetch(channel: ChannelLike, cursor: dict[str, Any] | None) -> FetchPage:
    raise FetchNotSupported("csv channels are import-only: upload a file instead of fetching")


def reply(channel: ChannelLike, mention_external_id: str, text: str) -> ReplyResult:
    raise ReplyNotSupported("csv channels cannot post replies: answer on the source platform")


def parse_csv(file_bytes: bytes) -> list[MentionData]:
    """The mentions in a UTF-8 CSV file (BOM allowed), or ``CsvImportError`` with every bad row."""
    try:
        text = file_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvImportError(
            [(HEADER_ROW, {"file": f"is not UTF-8 text ({exc.reason} at byte {exc.start})"})]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as exc:
        raise CsvImportError([(HEADER_ROW, {"file": f"is not valid CSV: {exc}"})]) from None
    missing = {name: "column is missing" for name in REQUIRED_COLUMNS if name not in header}
    if missing:
        raise CsvImportError([(HEADER_ROW, missing)])

    mentions: list[MentionData] = []
    bad_rows: list[tuple[int, dict[str, str]]] = []
    first_row_of: dict[str, int] = {}
    number = HEADER_ROW
    while True:
        number += 1
        try:
            row = next(reader, None)
        except csv.Error as exc:
            bad_rows.append((number, {"row": f"is not valid CSV: {exc}"}))
            break
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if number - HEADER_ROW > MAX_ROWS:
            bad_rows.append((number, {"row": f"the file may hold at most {MAX_ROWS} rows"}))
            break
        errors = {"row": "has more fields than the header"} if len(row) > len(header) else {}
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        mention, field_errors = build_mention(
            {name: cells.get(name.replace(".", "_")) for name in FIELDS}
        )
        errors |= {name.replace(".", "_"): message for name, message in field_errors.items()}
        external_id = cells.get("external_id", "")
        if external_id in first_row_of:
            errors.setdefault("external_id", f"duplicates row {first_row_of[external_id]}")
        first_row_of.setdefault(external_id, number)
        if errors:
            bad_rows.append((number, errors))
        elif mention:
            mentions.append(mention)
    if bad_rows:
        raise CsvImportError(bad_rows)
    return mentions

"""CSV imports: every row validated, every bad row reported, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.channels.connectors import csv as csv_connector
from apps.channels.connectors.base import FetchNotSupported, ReplyNotSupported
from apps.channels.connectors.csv import CsvImportError, parse_csv

from .fakeplatform import FakeChannel, fixture

HEADER = "external_id,text,posted_at,author_handle\n"


def test_valid_csv_is_parsed_into_mentions() -> None:
    ana, kai, joe = parse_csv(fixture("csv/mentions_valid.csv"))  # UTF-8 with BOM and CRLF

    assert ana.external_id == "survey-001"
    assert ana.text == "Loved the tasting event, thanks Mark!"
    assert ana.url == "https://survey.example/r/1"
    assert ana.posted_at == datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    assert ana.kind == "review"
    assert ana.rating == 4.5
    assert ana.author.handle == "ana_r"
    assert ana.author.display_name == "Ana Ribeiro"
    assert ana.author.followers == 350

    assert kai.text == "Delivery was late, but support made it right.\r\nWill order again."
    assert kai.kind == "comment"
    assert kai.parent_external_id == "survey-001"
    assert (kai.url, kai.rating, kai.author.followers, kai.author.display_name) == (
        "",
        None,
        None,
        "",
    )
    assert joe.kind == "post"
    assert joe.author.followers == 0


def test_every_bad_row_is_reported_and_nothing_is_returned() -> None:
    with pytest.raises(CsvImportError) as caught:
        parse_csv(fixture("csv/mentions_invalid.csv"))
    rows = dict(caught.value.rows)
    assert sorted(rows) == [3, 4, 6, 7]  # spreadsheet row numbers: the header is row 1
    assert rows[3] == {"external_id": "is required"}
    assert set(rows[4]) == {"posted_at"}
    assert rows[6] == {
        "url": "must be an http(s) URL",
        "kind": "must be one of post, comment, reply, review, message",
        "rating": "must be a number from 0 to 5",
        "author_handle": "is required",
        "author_followers": "must be a whole number ≥ 0",
    }
    assert rows[7] == {"external_id": "duplicates row 2"}
    assert "4 invalid rows" in str(caught.value)


def test_missing_required_columns_are_reported_on_the_header_row() -> None:
    with pytest.raises(CsvImportError) as caught:
        parse_csv(b"id,text,date\n1,hello,2026-11-20T18:00:00Z\n")
    assert caught.value.rows == [
        (
            1,
            {
                "external_id": "column is missing",
                "posted_at": "column is missing",
                "author_handle": "column is missing",
            },
        )
    ]


def test_header_names_are_case_and_space_insensitive_and_extra_columns_ignored() -> None:
    data = (
        b" External_ID ,TEXT,Posted_At,Author_Handle,notes\n"
        b"x1,hi,2026-11-20T18:00:00+00:00,ana,internal\n"
    )
    (mention,) = parse_csv(data)
    assert (mention.external_id, mention.author.handle) == ("x1", "ana")


def test_row_with_more_fields_than_the_header_is_reported() -> None:
    with pytest.raises(CsvImportError) as caught:
        parse_csv((HEADER + "x1,hi,2026-11-20T18:00:00Z,ana,surplus\n").encode())
    assert caught.value.rows == [(2, {"row": "has more fields than the header"})]


def test_blank_lines_are_skipped_but_still_counted() -> None:
    with pytest.raises(CsvImportError) as caught:
        parse_csv(
            (HEADER + "x1,hi,2026-11-20T18:00:00Z,ana\n\n,hi,2026-11-20T18:00:00Z,ana\n").encode()
        )
    assert [number for number, _ in caught.value.rows] == [4]


def test_non_utf8_file_is_refused() -> None:
    with pytest.raises(CsvImportError) as caught:
        parse_csv((HEADER + "x1,caf\xe9,2026-11-20T18:00:00Z,ana\n").encode("latin-1"))
    ((number, errors),) = caught.value.rows
    assert number == 1
    assert "not UTF-8" in errors["file"]


def test_empty_file_is_refused_for_missing_columns() -> None:
    with pytest.raises(CsvImportError):
        parse_csv(b"")


def test_header_only_file_has_no_mentions() -> None:
    assert parse_csv(HEADER.encode()) == []


def test_csv_channels_cannot_be_fetched_or_replied_to() -> None:
    channel = FakeChannel("csv")
    with pytest.raises(FetchNotSupported, match="import-only"):
        csv_connector.fetch(channel, None)
    with pytest.raises(ReplyNotSupported):
        csv_connector.reply(channel, "x", "hi")

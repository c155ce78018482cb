"""CSV import: every bad row reported, nothing stored from a bad file; a good file imports once."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from apps.channels.connectors.csv import CsvImportError
from apps.channels.services import channel_import_csv
from apps.listening.models import Mention
from tests.support import run_manage

from .factories import make_channel
from .fakeplatform import FIXTURES, fixture


@pytest.fixture
def csv_channel(in_agency_a):
    return make_channel(platform="csv", config={})


def test_good_file_imports_every_row_once(csv_channel):
    content = fixture("csv/mentions_valid.csv")
    rows = len(list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))) - 1  # minus header

    first = channel_import_csv(channel=csv_channel, file_bytes=content)
    again = channel_import_csv(channel=csv_channel, file_bytes=content)

    assert (first.created, again.created, again.duplicates) == (rows, 0, rows)
    assert Mention.objects.filter(channel=csv_channel).count() == rows


def test_bad_file_reports_each_bad_row_and_imports_nothing(csv_channel):
    with pytest.raises(CsvImportError) as raised:
        channel_import_csv(channel=csv_channel, file_bytes=fixture("csv/mentions_invalid.csv"))
    bad_rows = [row for row, _ in raised.value.rows]
    assert bad_rows == [3, 4, 6, 7]
    assert not Mention.objects.exists()


def test_import_command_prints_row_errors_and_fails(csv_channel):
    with pytest.raises(CommandError, match="4 invalid rows; nothing was imported"):
        call_command(
            "import_mentions_csv",
            str(FIXTURES / "csv/mentions_invalid.csv"),
            agency="alpha",
            channel=csv_channel.pk,
        )
    assert not Mention.objects.exists()


def test_import_command_exits_1_for_unknown_channel(db, agency_a):
    result = run_manage(
        "import_mentions_csv", "--agency", "alpha", "--channel", "999999",
        str(FIXTURES / "csv/mentions_valid.csv"),
    )  # fmt: skip
    assert result.returncode == 1
    assert "Agency 'alpha' has no channel 999999" in result.stderr

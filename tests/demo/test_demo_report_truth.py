"""On ``seed_demo``'s data, every surface of a client's report tells the same truth as plain SQL:
the API report, the dashboard, the PDF, the mentions CSV and the agency overview, for the
current period and the one before it; and every advocate earned the name."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from apps.clients.models import Client
from apps.core.formatting import number
from apps.reporting.periods import period_of
from apps.tenants.models import Agency
from tests.conftest import host_client
from tests.reporting.test_pdf import pdf_text

pytestmark = pytest.mark.e2e

# Plain SQL: the client's mentions by local day, nothing from the application's report code.
COUNTS = """
    SELECT count(*),
           count(*) FILTER (WHERE needs_acknowledgement),
           count(*) FILTER (WHERE needs_acknowledgement AND acknowledged_at IS NOT NULL),
           count(*) FILTER (WHERE sentiment = 'positive'),
           count(*) FILTER (WHERE sentiment = 'negative')
    FROM listening_mention m JOIN clients_client c ON c.id = m.client_id
    WHERE c.id = %s AND (m.posted_at AT TIME ZONE c.timezone)::date BETWEEN %s AND %s
"""
# Advocates who never praised a client unprompted (not spam, not answering the brand's reply)
# after that client acknowledged them.
UNEARNED_ADVOCATES = """
    SELECT a.handle FROM listening_author a
    WHERE a.is_advocate AND NOT EXISTS (
        SELECT 1 FROM listening_mention praise
        WHERE praise.author_id = a.id AND praise.sentiment = 'positive'
          AND praise.needs_acknowledgement AND NOT praise.is_spam
          AND praise.posted_at = a.advocate_since
          AND NOT EXISTS (
              SELECT 1 FROM acknowledgements_acknowledgement reply
              JOIN listening_mention answered ON answered.id = reply.mention_id
              WHERE reply.external_id = praise.parent_external_id
                AND praise.parent_external_id <> '' AND answered.channel_id = praise.channel_id)
          AND EXISTS (
              SELECT 1 FROM listening_mention earlier
              WHERE earlier.author_id = a.id AND earlier.client_id = praise.client_id
                AND earlier.acknowledged_at < praise.posted_at)
    )
"""


@pytest.fixture
def demo(db, fake_platforms):
    call_command("seed_demo", platforms_url=fake_platforms, stdout=StringIO(), stderr=StringIO())
    return Agency.objects.get(slug="demo")


def sql_counts(client: Client, since: date, until: date) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(COUNTS, [client.pk, since, until])
        total, needing, acknowledged, positive, negative = cursor.fetchone()
    return {
        "mention_count": total, "needing_acknowledgement": needing, "acknowledged": acknowledged,
        "positive": positive, "negative": negative, "neutral": total - positive - negative,
    }  # fmt: skip


def report_counts(report: dict) -> dict:
    return {
        "mention_count": report["mention_count"],
        "needing_acknowledgement": report["needing_acknowledgement"],
        "acknowledged": report["acknowledged"],
        **{key: report["sentiment"][key] for key in ("positive", "neutral", "negative")},
    }


def csv_counts(browser, client: Client, since: date, until: date) -> dict:
    response = browser.get(f"/reports/clients/{client.pk}/mentions.csv?since={since}&until={until}")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    needing = [row for row in rows if row["needs_acknowledgement"] == "true"]
    return {
        "mention_count": len(rows),
        "needing_acknowledgement": len(needing),
        "acknowledged": sum(1 for row in needing if row["acknowledged_at"]),
        **{
            key: sum(1 for row in rows if (row["sentiment"] or "neutral") == key)
            for key in ("positive", "neutral", "negative")
        },
    }


def test_every_surface_of_the_report_agrees_with_plain_sql(demo):
    browser = host_client(demo)
    with schema_context("demo"):
        assert browser.login(username="demo@rapport.test", password="demo")
    overview = browser.get("/reports/").content.decode()
    with schema_context("demo"):
        clients = list(Client.objects.all())
        for client in clients:
            period = period_of(client=client, since=None, until=None)
            before = period.previous()
            truth = sql_counts(client, period.since, period.until)
            truth_before = sql_counts(client, before.since, before.until)
            assert truth["mention_count"] and truth_before["mention_count"], client.name

            report = browser.get(f"/api/v1/clients/{client.pk}/report/").json()
            assert report_counts(report) == truth, client.name
            assert report_counts(report["previous"]) == truth_before, client.name

            assert csv_counts(browser, client, period.since, period.until) == truth
            assert csv_counts(browser, client, before.since, before.until) == truth_before

            dashboard = browser.get(f"/reports/clients/{client.pk}/").content.decode()
            for key, figure in (("mention_count", "mention_count"),
                                ("sentiment.positive", "positive"),
                                ("sentiment.neutral", "neutral"),
                                ("sentiment.negative", "negative")):  # fmt: skip
                card = re.search(
                    rf'data-kpi="{key}">.*?<p class="kpi-value">(.*?)</p>.*?'
                    r'<span class="kpi-previous-value">(.*?)</span>', dashboard, re.S,
                )  # fmt: skip
                assert card, (client.name, key)
                shown = tuple(re.sub(r"<[^>]+>", "", group) for group in card.groups())
                assert shown == (number(truth[figure]), number(truth_before[figure])), (
                    client.name, key,
                )  # fmt: skip

            text = pdf_text(browser.get(f"/reports/clients/{client.pk}/report.pdf").content)
            for label, key in (("Mentions", "mention_count"), ("Acknowledged", "acknowledged"),
                               ("Positive mentions", "positive"),
                               ("Neutral mentions", "neutral"),
                               ("Negative mentions", "negative")):  # fmt: skip
                row = re.search(rf"\n{label}\n\s*([\d,]+)\n\s*([\d,]+)\n", text)
                assert row, (client.name, label)
                assert row.groups() == (number(truth[key]), number(truth_before[key])), (
                    client.name, label,
                )  # fmt: skip

            row = re.search(rf">{re.escape(client.name)}</a></td>\s*<td>([\d,]+)</td>", overview)
            assert row and row.group(1) == number(truth["mention_count"]), client.name

        with connection.cursor() as cursor:
            cursor.execute(UNEARNED_ADVOCATES)
            assert cursor.fetchall() == []
            cursor.execute("SELECT count(*) FROM listening_author WHERE is_advocate")
            assert cursor.fetchone()[0] > 0

"""Every headline figure of a client's report shows the same number on the dashboard, in the
PDF, in the figures CSV and in the API — and that number is what a plain SQL query over the
tenant's tables gives, for the period and for the one before it."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from django.db import connection

from apps.acknowledgements.models import SlaPolicy
from apps.acknowledgements.services import mention_acknowledge, sla_due_dates_assign
from apps.acknowledgements.services.routing_rules import routing_rule_create
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import CustomerIdentity
from apps.listening.models import Mention
from apps.listening.services import query_create
from apps.reporting.kpis import KPIS
from tests.accounts.factories import TeamFactory, UserFactory
from tests.api.conftest import api_client
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, CustomerFactory
from tests.conftest import PASSWORD, host_client

ZONE = ZoneInfo("Europe/Berlin")
TODAY = datetime.now(ZONE).date()
PERIOD = (TODAY - timedelta(days=13), TODAY - timedelta(days=7))  # ended: no clock still runs
BEFORE = (TODAY - timedelta(days=20), TODAY - timedelta(days=14))
SAYINGS = (
    "Love the new oat latte, thank you!",
    "My order is late again, awful service",
    "Does the shop open on Sunday?",
    "Rivalbrew is better honestly",
    "The app keeps crashing at checkout, terrible",
    "Great coffee and friendly staff",
    "Where is my refund? Still waiting",
)
DELAYS = (4, 50, 300, 1500, 20)  # minutes from posting to acknowledgement, in turn

# --- the plain SQL of each figure ---------------------------------------------------------------
# %(client)s, %(start)s and %(end)s: the client and the period's first and last instant.

M = "listening_mention"
IN_PERIOD = (
    f"FROM {M} m WHERE m.client_id = %(client)s "
    "AND m.posted_at >= %(start)s AND m.posted_at < %(end)s"
)
ANSWERED = "m.needs_acknowledgement AND m.acknowledged_at IS NOT NULL"
DUE = (
    "m.needs_acknowledgement AND m.sla_due_at IS NOT NULL "
    "AND (m.acknowledged_at IS NOT NULL OR m.sla_due_at <= %(end)s)"
)
WALL_CLOCK = "extract(epoch FROM m.acknowledged_at - m.posted_at) / 60"


def percentile(share: float, of: str, follow_up: bool) -> str:
    return (
        f"SELECT round((percentile_cont({share}) WITHIN GROUP (ORDER BY {of}))::numeric, 2) "
        f"{IN_PERIOD} AND {ANSWERED} AND {'' if follow_up else 'NOT '}m.is_follow_up"
    )


RIVAL = (
    "EXISTS (SELECT 1 FROM listening_listeningquery q WHERE q.is_competitor "
    "AND q.id = ANY(m.matched_queries))"
)
# Speaking of the client of one's own accord: not in answer to the brand's reply or post.
UNPROMPTED = """l.needs_acknowledgement AND NOT l.is_spam AND NOT (l.parent_external_id <> '' AND (
    EXISTS (SELECT 1 FROM acknowledgements_acknowledgement r JOIN listening_mention a
            ON a.id = r.mention_id WHERE r.external_id = l.parent_external_id
            AND r.external_id <> '' AND a.channel_id = l.channel_id)
    OR EXISTS (SELECT 1 FROM listening_mention p WHERE p.channel_id = l.channel_id
               AND p.external_id = l.parent_external_id AND NOT p.needs_acknowledgement
               AND NOT p.is_spam AND NOT p.is_duplicate)))"""
# People whose first mention of the client falls in the period: how much likelier those
# acknowledged then were to come back positively, of their own accord, than those not.
LIFT = f"""
    WITH first AS (
        SELECT DISTINCT ON (m.author_id) m.author_id, m.posted_at, m.acknowledged_at,
               m.needs_acknowledgement
        FROM {M} m WHERE m.client_id = %(client)s ORDER BY m.author_id, m.posted_at, m.id
    ), newcomer AS (
        SELECT f.acknowledged_at IS NOT NULL AS acknowledged,
               EXISTS (SELECT 1 FROM {M} l WHERE l.author_id = f.author_id
                       AND l.client_id = %(client)s AND l.sentiment = 'positive'
                       AND l.posted_at > coalesce(f.acknowledged_at, f.posted_at)
                       AND {UNPROMPTED}) AS positive
        FROM first f
        WHERE f.needs_acknowledgement AND f.posted_at >= %(start)s AND f.posted_at < %(end)s
    )
    SELECT round(avg(positive::int) FILTER (WHERE acknowledged)
                 / nullif(avg(positive::int) FILTER (WHERE NOT acknowledged), 0), 2)
    FROM newcomer
"""  # noqa: S608 - table names, no user input
SQL = {
    "mention_count": f"SELECT count(*) {IN_PERIOD}",
    "sentiment.positive": f"SELECT count(*) {IN_PERIOD} AND m.sentiment = 'positive'",
    # unlabelled mentions count as neutral
    "sentiment.neutral": f"SELECT count(*) {IN_PERIOD} AND m.sentiment NOT IN ('positive', "
    "'negative')",
    "sentiment.negative": f"SELECT count(*) {IN_PERIOD} AND m.sentiment = 'negative'",
    "needing_acknowledgement": f"SELECT count(*) {IN_PERIOD} AND m.needs_acknowledgement",
    "acknowledged": f"SELECT count(*) {IN_PERIOD} AND {ANSWERED}",
    "acknowledgement_rate": f"""SELECT round(count(*) FILTER (WHERE {ANSWERED})::numeric
        / nullif(count(*) FILTER (WHERE m.needs_acknowledgement), 0), 4) {IN_PERIOD}""",
    "sla_attainment": f"""SELECT round(count(*) FILTER (WHERE m.acknowledged_at <= m.sla_due_at)
        ::numeric / nullif(count(*), 0), 4) {IN_PERIOD} AND {DUE}""",
    "median_time_to_acknowledge_minutes": percentile(0.5, "m.time_to_acknowledge_minutes", False),
    "p90_time_to_acknowledge_minutes": percentile(0.9, "m.time_to_acknowledge_minutes", False),
    "median_time_to_acknowledge_wall_clock_minutes": percentile(0.5, WALL_CLOCK, False),
    "p90_time_to_acknowledge_wall_clock_minutes": percentile(0.9, WALL_CLOCK, False),
    "median_next_response_minutes": percentile(0.5, "m.time_to_acknowledge_minutes", True),
    "p90_next_response_minutes": percentile(0.9, "m.time_to_acknowledge_minutes", True),
    "median_next_response_wall_clock_minutes": percentile(0.5, WALL_CLOCK, True),
    "p90_next_response_wall_clock_minutes": percentile(0.9, WALL_CLOCK, True),
    "advocates_gained": """SELECT count(*) FROM listening_author a
        WHERE a.advocate_since >= %(start)s AND a.advocate_since < %(end)s
        AND EXISTS (SELECT 1 FROM listening_mention m WHERE m.author_id = a.id
                    AND m.client_id = %(client)s)""",
    "advocacy_lift": LIFT,
    "crm_value_of_acknowledged_customers": f"""SELECT round(coalesce(sum(c.lifetime_value), 0), 2)
        FROM clients_customer c
        WHERE c.id IN (SELECT m.customer_id {IN_PERIOD} AND {ANSWERED})""",  # noqa: S608
}
# Our mentions against ours plus one count per competitor query each mention matches.
SQL["share_of_voice.share"] = f"""
    SELECT round(own::numeric / nullif(own + rivals, 0), 4) FROM (
        SELECT count(*) FILTER (WHERE NOT {RIVAL}) AS own,
               (SELECT count(*) FROM {M} m JOIN listening_listeningquery q
                    ON q.id = ANY(m.matched_queries) AND q.is_competitor
                WHERE m.client_id = %(client)s AND m.posted_at >= %(start)s
                  AND m.posted_at < %(end)s) AS rivals
        {IN_PERIOD}) voice"""  # noqa: S608


def sql_figure(key: str, client_id: int, days: tuple[date, date]):
    start = datetime.combine(days[0], time.min, tzinfo=ZONE)
    end = datetime.combine(days[1] + timedelta(days=1), time.min, tzinfo=ZONE)
    with connection.cursor() as cursor:
        cursor.execute(SQL[key], {"client": client_id, "start": start, "end": end})
        (value,) = cursor.fetchone()
    return float(value) if isinstance(value, Decimal) else value


# --- the fixture ---------------------------------------------------------------------------------


def at(day: date, minutes_into_day: int) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZONE) + timedelta(minutes=minutes_into_day)


@pytest.fixture
def northwind(in_agency_a):
    """Two weeks of a coffee brand on two channels, in Berlin's time zone with business hours:
    praise, complaints (routed to a team), questions, competitor talk, the brand's own posts,
    CRM customers, acknowledgements from minutes to a day late (some never), follow-ups in
    acknowledged threads and people coming back with praise. More of everything this week."""
    owner = UserFactory(role="owner")
    client = ClientFactory(name="Northwind", slug="northwind", timezone="Europe/Berlin")
    SlaPolicy.objects.create(client=client, timezone="Europe/Berlin")  # weekdays 09:00-18:00
    query_create(client=client, name="Rivalbrew", expression="rivalbrew", is_competitor=True)
    routing_rule_create(client=client, user=None, name="Complaints", intent="complaint",
                        set_team=TeamFactory(name="Care"))  # fmt: skip
    channels = [make_channel(platform="webhook", config={}, client=client, name=name)
                for name in ("Reviews", "Community")]  # fmt: skip
    for n, value in enumerate((Decimal("120.50"), Decimal("80.00"), Decimal("999.99"))):
        customer = CustomerFactory(client=client, lifetime_value=value)
        CustomerIdentity.objects.create(customer=customer, client=client, platform="webhook",
                                        value=f"cur-person{n}")  # fmt: skip
        if n < 2:  # the big spender spoke only this week
            CustomerIdentity.objects.create(customer=customer, client=client, platform="webhook",
                                            value=f"pre-person{n}")  # fmt: skip
    for tag, (since, _), count in (("cur", PERIOD, 26), ("pre", BEFORE, 17)):
        _a_week(client, channels, owner, tag, since, count)
    return client


def _a_week(client, channels, owner, tag: str, since: date, count: int) -> None:
    firsts = []
    for n in range(count):
        channel = channels[n % 2]
        item = MentionData(
            external_id=f"{tag}-{n}", text=SAYINGS[(n * 3) % len(SAYINGS)],
            posted_at=at(since + timedelta(days=n % 7), 7 * 60 + (n * 137) % (13 * 60)),
            author=AuthorData(handle=f"{tag}-person{n % 7}"),
        )  # fmt: skip
        store_mentions(channel, [item])
        firsts.append((channel, item))
    brand = MentionData(external_id=f"{tag}-brand", text="New seasonal menu is out today!",
                        posted_at=at(since + timedelta(days=2), 10 * 60),
                        author=AuthorData(handle=client.slug))  # fmt: skip
    store_mentions(channels[0], [brand])
    sla_due_dates_assign()
    acknowledged = []
    for n, (channel, item) in enumerate(firsts):
        if n % 4 == 3:
            continue  # never acknowledged
        mention = Mention.objects.get(channel=channel, external_id=item.external_id)
        when = mention.posted_at + timedelta(minutes=DELAYS[n % len(DELAYS)])
        mention_acknowledge(mention=mention, user=owner, kind="resolved_internally", at=when)
        acknowledged.append((channel, item, when))
    # Follow-ups in acknowledged threads (the next-response clock), two of three answered.
    for n, (channel, item, when) in enumerate(acknowledged[:6]):
        store_mentions(channel, [MentionData(
            external_id=f"{item.external_id}-again", text="Any update on this please?",
            posted_at=when + timedelta(minutes=30 + 60 * n), author=item.author,
            parent_external_id=item.external_id,
        )])  # fmt: skip
    sla_due_dates_assign()
    follow_ups = Mention.objects.filter(client=client, external_id__startswith=f"{tag}-",
                                        is_follow_up=True).order_by("posted_at")  # fmt: skip
    replies = (15, 200) if tag == "cur" else (35, 90)
    for n, mention in enumerate(follow_ups):
        if n % 3 != 2:
            mention_acknowledge(
                mention=mention,
                user=owner,
                kind="resolved_internally",
                at=mention.posted_at + timedelta(minutes=replies[n % 2]),
            )
    # People coming back with praise, of their own accord: acknowledged ones and one who was not.
    returning = [(channel, item.author, when) for channel, item, when in acknowledged[:3]]
    unanswered = next((channel, item) for n, (channel, item) in enumerate(firsts) if n % 4 == 3)
    returning.append((unanswered[0], unanswered[1].author, unanswered[1].posted_at))
    for n, (channel, author, after) in enumerate(returning):
        store_mentions(channel, [MentionData(
            external_id=f"{tag}-praise-{n}", text="Thank you so much, I love it! Wonderful",
            posted_at=after + timedelta(hours=20), author=author,
        )])  # fmt: skip


# --- reading the figure where people see it -----------------------------------------------------


def shown(text: str | None) -> float | None:
    """A figure as shown (``1,234``, ``83%``, ``12.5 min``, a lift, a dash) as a number."""
    text = unescape(text or "").strip()
    if text in ("", "\u2013", "\u2014"):
        return None
    return float(re.sub(r"[^\d.\-]", "", text.replace(",", "")))


def as_shown(value, kind: str) -> float | None:
    """What a figure from SQL looks like on a page: whole percentages, two decimals otherwise."""
    if value is None:
        return None
    return float(round(value * 100)) if kind == "percent" else round(float(value), 2)


def dashboard_figures(html: str) -> dict[str, tuple[float | None, float | None]]:
    cards = re.findall(r'<article class="kpi" data-kpi="([^"]+)">(.*?)</article>', html, re.S)
    figures = {}
    for key, card in cards:
        value = re.search(r'<p class="kpi-value">(?:<a [^>]*>)?(.*?)(?:</a>)?</p>', card, re.S)
        before = re.search(r'<span class="kpi-previous-value">(.*?)</span>', card, re.S)
        figures[key] = (shown(value.group(1)), shown(before.group(1)))
    return figures


VALUE = r"(\u2013|\u2014|[\d,.]+(?: min|%|\u00d7)?)"


def pdf_figures(body: bytes) -> dict[str, tuple[float | None, float | None]]:
    document = pypdfium2.PdfDocument(body)
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    text = re.sub(r"\s+", " ", text)
    figures = {}
    for kpi in KPIS:
        row = re.search(re.escape(kpi.label) + f" {VALUE} {VALUE}", text)
        assert row, f"{kpi.label!r} is not in the PDF's table"
        figures[kpi.key] = (shown(row.group(1)), shown(row.group(2)))
    return figures


def csv_figures(body: bytes) -> dict[str, tuple[float | None, float | None]]:
    def number(text: str) -> float | None:
        return float(text) if text != "" else None

    rows = csv.DictReader(io.StringIO(body.decode()))
    return {r["figure"]: (number(r["this_period"]), number(r["previous_period"])) for r in rows}


def api_figures(report: dict) -> dict[str, tuple[float | None, float | None]]:
    def read(figures: dict, key: str):
        for part in key.split("."):
            figures = figures[part]
        return figures

    return {kpi.key: (read(report, kpi.key), read(report["previous"], kpi.key)) for kpi in KPIS}


def test_every_kpi_equals_its_plain_sql_count_on_every_surface(northwind, agency_a):
    manager = UserFactory(role="manager")
    manager.set_password(PASSWORD)
    manager.save()
    browser = host_client(agency_a)
    assert browser.login(username=manager.email, password=PASSWORD)
    query = f"since={PERIOD[0]}&until={PERIOD[1]}"
    base = f"/reports/clients/{northwind.pk}"
    surfaces = {
        "dashboard": dashboard_figures(browser.get(f"{base}/?{query}").content.decode()),
        "pdf": pdf_figures(browser.get(f"{base}/report.pdf?{query}").content),
        "csv": csv_figures(b"".join(browser.get(f"{base}/figures.csv?{query}").streaming_content)),
        "api": api_figures(
            api_client(agency_a, manager)
            .get(f"/api/v1/clients/{northwind.pk}/report/?{query}")
            .json()
        ),
    }
    shown_as_text = {"dashboard", "pdf"}  # rounded for reading; the CSV and API are exact
    assert set(SQL) == {kpi.key for kpi in KPIS}, "every KPI needs its SQL here"
    wrong = []
    for kpi in KPIS:
        expected = [sql_figure(kpi.key, northwind.pk, days) for days in (PERIOD, BEFORE)]
        for surface, figures in surfaces.items():
            want = [as_shown(v, kpi.kind) if surface in shown_as_text else v for v in expected]
            got = list(figures.get(kpi.key, ("missing", "missing")))
            if got != want:
                wrong.append(f"{kpi.key} on the {surface}: {got} (this, previous), SQL {want}")
    assert not wrong, "\n".join(wrong)
    # The fixture exercises every figure: none is empty in either period, and they differ.
    for kpi in KPIS:
        now, before = (sql_figure(kpi.key, northwind.pk, days) for days in (PERIOD, BEFORE))
        assert now is not None and before is not None, kpi.key
    assert sql_figure("mention_count", northwind.pk, PERIOD) > sql_figure(
        "mention_count", northwind.pk, BEFORE
    )

"""The report's per-member figures come from roll-ups the database keeps in every change's
transaction (acknowledgements per UTC quarter of an hour, first responses per local day and
bucket) and equal the figures read from the acknowledgements themselves — the same counts, the
same doubles — after back-dated acknowledgements, corrections, deletes, new business hours and a
new time zone, over periods of whole local days and periods that start and end anywhere."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from apps.acknowledgements import rollups
from apps.acknowledgements.models import (
    Acknowledgement,
    AcknowledgementHour,
    FirstResponseDay,
    SlaPolicy,
)
from apps.acknowledgements.rollups import member_rollups_compact, quarters, whole_days
from apps.acknowledgements.selectors import member_figures
from apps.acknowledgements.services import mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.services import client_delete
from apps.listening.models import Mention
from apps.reporting import quantiles
from apps.reporting.selectors import Period
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

NOW = datetime.now(UTC).replace(microsecond=0)
# Minutes to the first acknowledgement: ties, a few within a minute, some a day or more.
DELAYS = (0.5, 3, 3, 3, 20, 45, 45, 90, 400, 2000, 3100)
# Kolkata times of acknowledgements on either side of openings, closings and period edges that
# fall inside a quarter of an hour in UTC (08:10 and 19:50 there are 02:40 and 14:20 UTC).
EDGES = ("08:05", "08:08", "08:12", "09:28", "09:31", "17:44", "17:46", "19:48", "19:52")


def said(external_id: str, at: datetime) -> MentionData:
    return MentionData(
        external_id=external_id, text=f"Question {external_id} about my order", posted_at=at,
        author=AuthorData(handle=f"person{external_id}"),
    )  # fmt: skip


@pytest.fixture
def desk(in_agency_a):
    """Three people answering a client in Kolkata (UTC+5:30, open weekdays 09:30-17:45) over
    two weeks: first responses after half a minute to two days, a quarter of the mentions
    answered a second time by someone else (no first-response minutes)."""
    client = ClientFactory(name="Chai Co", timezone="Asia/Kolkata")
    SlaPolicy.objects.create(
        client=client, timezone="Asia/Kolkata", opens_at="09:30", closes_at="17:45"
    )
    channel = make_channel(platform="webhook", config={}, client=client)
    people = [UserFactory(role="responder", email=f"{name}@alpha.test") for name in "abc"]
    rng = random.Random(16)
    store_mentions(
        channel,
        [
            said(f"m{n}", NOW - timedelta(hours=5 * n + 3, minutes=rng.randrange(60)))
            for n in range(66)
        ],
    )
    for n, mention in enumerate(Mention.objects.filter(client=client).order_by("posted_at")):
        at = mention.posted_at + timedelta(minutes=rng.choice(DELAYS), seconds=rng.randrange(60))
        if at < NOW:
            mention_acknowledge(mention=mention, user=people[n % 3], kind="resolved_internally",
                                at=at)  # fmt: skip
        again = at + timedelta(minutes=10)
        if n % 4 == 0 and again < NOW:
            mention_acknowledge(mention=mention, user=people[(n + 1) % 3],
                                kind="resolved_internally", at=again)  # fmt: skip
    edge_day = edge_weekday(client)
    at = [datetime.combine(edge_day, time.fromisoformat(clock), tzinfo=KOLKATA) for clock in EDGES]
    store_mentions(channel, [said(f"edge{n}", moment - timedelta(minutes=2))
                             for n, moment in enumerate(at)])  # fmt: skip
    for n, moment in enumerate(at):
        mention = Mention.objects.get(client=client, external_id=f"edge{n}")
        mention_acknowledge(mention=mention, user=people[n % 3], kind="resolved_internally",
                            at=moment)  # fmt: skip
    return client


KOLKATA = ZoneInfo("Asia/Kolkata")


def edge_weekday(client) -> date:
    """A weekday three or more days ago in Kolkata."""
    day = NOW.astimezone(KOLKATA).date() - timedelta(days=3)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def local_days(client, days: int, *, ago: int = 0) -> tuple[datetime, datetime]:
    """The client's last ``days`` local days (ending ``ago`` days before today), as instants."""
    today = NOW.astimezone(ZoneInfo(client.timezone)).date() - timedelta(days=ago)
    period = Period(today - timedelta(days=days - 1), today, client.timezone)
    return period.start, period.end


def periods(client) -> list[tuple[datetime, datetime]]:
    """Whole local days, and periods starting and ending off the quarters and the local days."""
    return [
        local_days(client, 14),
        local_days(client, 7),
        local_days(client, 3, ago=4),
        (NOW - timedelta(days=9, minutes=-7), NOW - timedelta(days=1, minutes=3)),  # 10:07-like
        (datetime.combine(NOW.date() - timedelta(days=6), datetime.min.time(), tzinfo=UTC),
         datetime.combine(NOW.date(), datetime.min.time(), tzinfo=UTC)),  # UTC midnights
        (NOW - timedelta(days=2, hours=2), NOW - timedelta(days=2, hours=1, minutes=50)),
        (datetime.combine(edge_weekday(client), time(8, 7), tzinfo=KOLKATA),
         datetime.combine(edge_weekday(client), time(19, 49), tzinfo=KOLKATA)),
    ]  # fmt: skip


def figures_agree(client, since: datetime, until: datetime) -> list[dict]:
    """The rolled figures, checked against the reference read from the acknowledgements (and
    read without falling back to it)."""
    with CaptureQueriesContext(connection) as queries:
        rolled = member_figures(client=client, since=since, until=until)
    assert not [q for q in queries if "percentile_cont" in q["sql"]], "fell back to the reference"
    assert rolled == member_figures(client=client, since=since, until=until, rolled=False)
    return rolled


def all_agree(client) -> list[dict]:
    every = [figures_agree(client, since, until) for since, until in periods(client)]
    return every[0]


def test_the_rolled_figures_equal_the_reference_over_any_period(desk):
    figures = all_agree(desk)
    assert len(figures) == 3
    assert all(row["median_minutes"] is not None for row in figures)
    assert sum(row["in_hours"] for row in figures) and sum(row["off_hours"] for row in figures)
    assert AcknowledgementHour.objects.filter(client_id=desk.pk).exists()
    assert FirstResponseDay.objects.filter(client_id=desk.pk).exists()


def test_the_figures_of_whole_quarters_and_days_are_read_from_the_roll_ups(desk):
    since, until = local_days(desk, 7)
    before = {row["user"].pk: row for row in figures_agree(desk, since, until)}
    someone = next(iter(before))
    AcknowledgementHour.objects.create(
        client_id=desk.pk, user_id=someone, hour=since + timedelta(days=2),
        quarter_0=0, quarter_1=5, quarter_2=0, quarter_3=0,
    )  # fmt: skip  # a delta no acknowledgement backs
    after = {row["user"].pk: row for row in member_figures(client=desk, since=since, until=until)}
    assert after[someone]["replies"] == before[someone]["replies"] + 5


def test_back_dated_acknowledgements_are_counted(desk):
    before = figures_agree(desk, *local_days(desk, 14))
    channel = desk.channels.get()
    store_mentions(channel, [said(f"late{n}", NOW - timedelta(days=8, hours=n)) for n in range(5)])
    late = Mention.objects.filter(client=desk, external_id__startswith="late")
    for n, mention in enumerate(late):
        mention_acknowledge(mention=mention, user=before[0]["user"], kind="resolved_internally",
                            at=mention.posted_at + timedelta(minutes=7 * n + 1))  # fmt: skip
    after = all_agree(desk)
    assert sum(row["replies"] for row in after) == sum(row["replies"] for row in before) + 5


def test_corrected_minutes_people_and_times_are_counted(desk):
    acks = Acknowledgement.objects.filter(client=desk).order_by("pk")
    firsts = acks.filter(first_response_minutes__isnull=False)
    firsts.filter(pk__in=firsts.values("pk")[:9]).update(
        first_response_minutes=F("first_response_minutes") * 3 + 1
    )
    all_agree(desk)
    other = UserFactory(role="responder", email="dee@alpha.test")
    acks.filter(pk__in=acks.values("pk")[5:15]).update(user=other)
    all_agree(desk)
    acks.filter(pk__in=acks.values("pk")[20:30]).update(
        created_at=F("created_at") - timedelta(hours=30, minutes=10)
    )
    all_agree(desk)
    ack = firsts.last()
    ack.first_response_minutes, ack.created_at = None, ack.created_at - timedelta(days=2)
    ack.save()
    assert "dee@alpha.test" in {row["user"].email for row in all_agree(desk)}


def test_deleted_acknowledgements_mentions_and_people_are_forgotten(desk):
    before = all_agree(desk)
    Acknowledgement.objects.filter(pk__in=Acknowledgement.objects.filter(client=desk)
                                   .values("pk")[:6]).delete()  # fmt: skip
    Mention.objects.filter(pk__in=Mention.objects.filter(client=desk).values("pk")[10:14]).delete()
    gone = before[-1]["user"]
    gone.delete()  # their acknowledgements stay, without a person
    after = all_agree(desk)
    assert gone.email not in {row["user"].email for row in after}
    assert sum(row["replies"] for row in after) < sum(row["replies"] for row in before)


@pytest.mark.parametrize(
    "hours",
    [
        {"opens_at": "08:10", "closes_at": "19:50"},  # off the quarters: read from the rows
        {"timezone": "Asia/Kathmandu"},  # UTC+5:45
        {"timezone": "America/New_York", "opens_at": "00:00", "closes_at": "00:00"},
        {"business_hours_only": False},
        {"holidays": [NOW.date() - timedelta(days=3)], "open_weekdays": [0, 1, 2, 3, 4, 5]},
    ],
)
def test_new_business_hours_apply_to_every_acknowledgement(desk, hours):
    SlaPolicy.objects.filter(client=desk).update(**hours)
    all_agree(desk)


def test_a_client_without_business_hours_is_open_around_the_clock(desk):
    SlaPolicy.objects.filter(client=desk).delete()
    figures = all_agree(desk)
    assert all(row["off_hours"] == 0 for row in figures)


def per_day(client) -> dict[date, int]:
    days = FirstResponseDay.objects.filter(client_id=client.pk).values_list("day", "responses")
    found: dict[date, int] = {}
    for day, responses in days:
        found[day] = found.get(day, 0) + responses
    return found


def test_a_new_time_zone_rebuilds_the_local_days(desk):
    all_agree(desk)
    before = per_day(desk)
    desk.timezone = "America/St_Johns"  # UTC-3:30 (-2:30 in summer): 9 hours from Kolkata
    desk.save(update_fields=["timezone"])
    assert per_day(desk) != before
    assert sum(per_day(desk).values()) == sum(before.values())
    all_agree(desk)


def test_compaction_merges_the_deltas_and_changes_no_figure(desk):
    acks = Acknowledgement.objects.filter(client=desk)
    acks.update(created_at=F("created_at") + timedelta(minutes=1))
    acks.update(created_at=F("created_at") - timedelta(minutes=1))
    before = all_agree(desk)
    rows = AcknowledgementHour.objects.count() + FirstResponseDay.objects.count()
    left = member_rollups_compact()
    assert left < rows
    assert left == AcknowledgementHour.objects.count() + FirstResponseDay.objects.count()
    assert all_agree(desk) == before


def test_a_roll_up_out_of_step_with_the_acknowledgements_falls_back_to_them(desk):
    """A rank whose bucket holds none of the period's acknowledgements (one changed between the
    reads) is no answer: the figures are read from the acknowledgements then."""
    since, until = local_days(desk, 7)
    expected = member_figures(client=desk, since=since, until=until, rolled=False)
    someone = expected[0]["user"]
    FirstResponseDay.objects.create(
        client_id=desk.pk, user_id=someone.pk, day=(since + timedelta(days=1)).date(),
        bucket=255, responses=1000,
    )  # fmt: skip
    assert member_figures(client=desk, since=since, until=until) == expected


def test_a_deleted_client_leaves_no_roll_up(desk):
    client_id = desk.pk
    client_delete(client=desk)
    assert not AcknowledgementHour.objects.filter(client_id=client_id).exists()
    assert not FirstResponseDay.objects.filter(client_id=client_id).exists()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("start", "end", "whole", "pieces"),
    [
        ("10:00", "12:00", [("10:00", "12:00")], []),
        ("10:07", "12:00", [("10:15", "12:00")], [("10:07", "10:15")]),
        ("10:07", "11:52", [("10:15", "11:45")], [("10:07", "10:15"), ("11:45", "11:52")]),
        ("10:07", "10:14", [], [("10:07", "10:14")]),
        ("10:07", "10:22", [], [("10:07", "10:22")]),
        ("10:30", "10:45", [("10:30", "10:45")], []),
    ],
)
def test_spans_split_into_whole_quarters_and_pieces(start, end, whole, pieces):
    day = "2026-11-16T{}:00+00:00"
    spans = {name: [(_at(day.format(a)), _at(day.format(b))) for a, b in found]
             for name, found in (("whole", whole), ("pieces", pieces))}  # fmt: skip
    assert quarters([(_at(day.format(start)), _at(day.format(end)))]) == (
        spans["whole"],
        spans["pieces"],
    )


@pytest.mark.parametrize(
    ("since", "until", "zone", "days", "pieces"),
    [
        ("2026-11-15T18:30+00:00", "2026-11-17T18:30+00:00", "Asia/Kolkata",
         ("2026-11-16", "2026-11-18"), []),
        ("2026-11-16T00:00+00:00", "2026-11-18T00:00+00:00", "Asia/Kolkata",
         ("2026-11-17", "2026-11-18"),
         [("2026-11-16T00:00+00:00", "2026-11-16T18:30+00:00"),
          ("2026-11-17T18:30+00:00", "2026-11-18T00:00+00:00")]),
        ("2026-11-16T10:00+00:00", "2026-11-16T20:00+00:00", "UTC",
         ("2026-11-17", "2026-11-17"), [("2026-11-16T10:00+00:00", "2026-11-16T20:00+00:00")]),
    ],
)  # fmt: skip
def test_a_period_splits_into_whole_local_days_and_pieces(since, until, zone, days, pieces):
    first, end, left = whole_days(_at(since), _at(until), zone)
    assert (first, end) == tuple(date.fromisoformat(day) for day in days)
    assert left == [(_at(a), _at(b)) for a, b in pieces]


def test_the_bucket_is_the_migrations_and_the_response_times():
    from importlib import import_module

    migration = import_module("apps.acknowledgements.migrations.0011_member_rollups")
    assert rollups.BUCKET_SQL == migration.BUCKET == quantiles.BUCKET_SQL

"""CSV exports of a client's mentions and acknowledgements: the period in the client's time zone,
every column, nobody else's rows, cells a spreadsheet will not run, and flat memory at any size."""

from __future__ import annotations

import csv
import io
import itertools
import tracemalloc
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.acknowledgements.models import Acknowledgement
from apps.acknowledgements.services import mention_acknowledge
from apps.listening.models import Author, ListeningQuery, Mention
from tests.accounts.factories import TeamFactory, UserFactory
from tests.channels.factories import make_channel
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD, host_client

# Whole local days; the period ends before "today" (25 Nov 2026) so every row is in the past.
NOVEMBER = {"since": "2026-11-01", "until": "2026-11-24"}
_external_ids = itertools.count()


def mention(channel, posted_at: datetime, *, text="Lovely flat white", handle="joe", **fields):
    author, _ = Author.objects.get_or_create(
        platform=channel.platform, handle=handle, defaults={"display_name": handle.title()}
    )
    return Mention.objects.create(
        client=channel.client, channel=channel, platform=channel.platform,
        external_id=f"m{next(_external_ids)}", author=author, text=text, posted_at=posted_at,
        fetched_at=posted_at, **fields,
    )  # fmt: skip


def acknowledge(mention: Mention, at: datetime, *, user=None, text="") -> Acknowledgement:
    """A reply made elsewhere, recorded as having happened ``at``."""
    return mention_acknowledge(
        mention=mention, user=user or UserFactory(), kind="replied_elsewhere", text=text, at=at
    )


def download(http, client, what="mentions", **params):
    return http.get(f"/reports/clients/{client.pk}/{what}.csv", params)


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def northwind(in_agency_a):
    """Northwind Coffee, in New York: US clocks go back at 02:00 on Sunday 1 November 2026, so
    November's first local day starts at 04:00 UTC and its 25th at 05:00 UTC."""
    client = ClientFactory(
        name="Northwind Coffee", slug="northwind-coffee", timezone="America/New_York"
    )
    return make_channel(platform="webhook", config={}, client=client, name="Site feedback")


@pytest.fixture
def owner_http(client_a):
    client_a.force_login(UserFactory(role="owner"))
    return client_a


def test_mentions_export_covers_whole_local_days_of_the_client(northwind, owner_http):
    before = mention(northwind, datetime(2026, 11, 1, 3, 59, tzinfo=UTC))
    first = mention(northwind, datetime(2026, 11, 1, 4, 0, tzinfo=UTC))
    last = mention(northwind, datetime(2026, 11, 25, 4, 59, tzinfo=UTC))
    after = mention(northwind, datetime(2026, 11, 25, 5, 0, tzinfo=UTC))

    response = download(owner_http, northwind.client, **NOVEMBER)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="northwind-coffee-mentions-2026-11-01-to-2026-11-24.csv"'
    )
    rows = csv_rows(response)
    assert [row["id"] for row in rows] == [str(first.pk), str(last.pk)]
    assert [row["posted_at"] for row in rows] == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-24T23:59:00-05:00",
    ]
    assert not {str(before.pk), str(after.pk)} & {row["id"] for row in rows}


def test_mention_row_holds_every_column(northwind, owner_http):
    support = TeamFactory(name="Support")
    sam = UserFactory(email="sam@alpha.test")
    coupons = ListeningQuery.objects.create(
        client=northwind.client, name="Coupons", expression="coupon"
    )
    dates = ListeningQuery.objects.create(client=northwind.client, name="Dates", expression="date")
    Author.objects.create(platform="webhook", handle="mark", display_name="Mark Ruiz")
    found = mention(
        northwind, datetime(2026, 11, 10, 15, 30, tzinfo=UTC), handle="mark",
        text="The coupon date is wrong, says 2025", kind="comment",
        url="https://social.example/p/1", sentiment="negative", sentiment_score=-0.42,
        status="acknowledged", priority="high", needs_acknowledgement=True,
        acknowledged_at=datetime(2026, 11, 10, 16, 15, tzinfo=UTC),
        time_to_acknowledge_minutes=45.0, team=support, assigned_to=sam,
        tags=["coupon", "billing"], matched_queries=[coupons.pk, dates.pk],
    )  # fmt: skip

    [row] = csv_rows(download(owner_http, northwind.client, **NOVEMBER))

    assert row == {
        "id": str(found.pk),
        "posted_at": "2026-11-10T10:30:00-05:00",
        "client": "Northwind Coffee",
        "channel": "Site feedback",
        "platform": "webhook",
        "author_handle": "mark",
        "author_display_name": "Mark Ruiz",
        "text": "The coupon date is wrong, says 2025",
        "kind": "comment",
        "url": "https://social.example/p/1",
        "sentiment": "negative",
        "sentiment_score": "-0.42",
        "status": "acknowledged",
        "priority": "high",
        "needs_acknowledgement": "true",
        "acknowledged_at": "2026-11-10T11:15:00-05:00",
        "time_to_acknowledge_minutes": "45.0",
        "team": "Support",
        "assigned_to": "sam@alpha.test",
        "tags": "coupon;billing",
        "matched_queries": f"{coupons.pk};{dates.pk}",
    }


def test_unanswered_mention_leaves_answer_columns_empty(northwind, owner_http):
    mention(northwind, datetime(2026, 11, 10, 12, 0, tzinfo=UTC), needs_acknowledgement=False)

    [row] = csv_rows(download(owner_http, northwind.client, **NOVEMBER))

    assert row["needs_acknowledgement"] == "false"
    assert row["acknowledged_at"] == row["time_to_acknowledge_minutes"] == ""
    assert row["team"] == row["assigned_to"] == row["tags"] == row["matched_queries"] == ""
    assert row["sentiment_score"] == ""


def test_acknowledgements_export_lists_those_given_in_the_period(northwind, owner_http):
    ana = UserFactory(email="ana@alpha.test")
    asked = mention(
        northwind, datetime(2026, 10, 31, 20, 0, tzinfo=UTC), handle="joe",
        url="https://social.example/p/9",
    )  # fmt: skip
    acknowledge(asked, datetime(2026, 11, 1, 3, 59, tzinfo=UTC), user=ana)  # 31 Oct locally
    thanks = acknowledge(
        asked, datetime(2026, 11, 1, 4, 0, tzinfo=UTC), user=ana, text="Thanks Joe, fixed!"
    )
    acknowledge(asked, datetime(2026, 11, 25, 5, 0, tzinfo=UTC), user=ana)  # 25 Nov locally

    response = download(owner_http, northwind.client, "acknowledgements", **NOVEMBER)

    assert response["Content-Disposition"] == (
        'attachment; filename="northwind-coffee-acknowledgements-2026-11-01-to-2026-11-24.csv"'
    )
    assert csv_rows(response) == [
        {
            "id": str(thanks.pk),
            "created_at": "2026-11-01T00:00:00-04:00",
            "mention_id": str(asked.pk),
            "mention_url": "https://social.example/p/9",
            "author_handle": "joe",
            "user": "ana@alpha.test",
            "kind": "replied_elsewhere",
            "text": "Thanks Joe, fixed!",
            "delivery_status": "not_sent",
            "is_personal": "true",
            "time_to_acknowledge_minutes": "479.0",  # to the first one, 20:00 to 03:59 UTC
        }
    ]


def test_default_period_is_the_last_30_days_up_to_today(northwind, owner_http):
    now = timezone.now()
    recent = mention(northwind, now - timedelta(minutes=5))
    mention(northwind, now - timedelta(days=40))
    today = now.astimezone(ZoneInfo("America/New_York")).date()

    response = download(owner_http, northwind.client)

    since = today - timedelta(days=29)
    assert response["Content-Disposition"] == (
        f'attachment; filename="northwind-coffee-mentions-{since}-to-{today}.csv"'
    )
    assert [row["id"] for row in csv_rows(response)] == [str(recent.pk)]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2026-13-01"}, "since: expected a date as YYYY-MM-DD"),
        ({"until": "yesterday"}, "until: expected a date as YYYY-MM-DD"),
        ({"since": "2026-11-30", "until": "2026-11-01"}, "since must be on or before until"),
    ],
)
def test_bad_dates_are_refused_with_a_plain_message(northwind, owner_http, params, message):
    for what in ("mentions", "acknowledgements"):
        response = download(owner_http, northwind.client, what, **params)
        assert response.status_code == 400
        assert message in response.content.decode()


def test_cells_a_spreadsheet_would_run_as_formulas_are_quoted(northwind, owner_http):
    Author.objects.create(platform="webhook", handle="@evil", display_name="+cmd|' /C calc'!A0")
    attack = mention(
        northwind, datetime(2026, 11, 5, 12, 0, tzinfo=UTC), handle="@evil",
        text='=HYPERLINK("http://evil.example","click")', sentiment_score=-0.5,
        tags=["-2+3", "\tpadded"],
    )  # fmt: skip
    acknowledge(attack, datetime(2026, 11, 5, 13, 0, tzinfo=UTC), text="\r=1+1")

    [row] = csv_rows(download(owner_http, northwind.client, **NOVEMBER))
    [ack] = csv_rows(download(owner_http, northwind.client, "acknowledgements", **NOVEMBER))

    assert row["text"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["author_handle"] == "'@evil"
    assert row["author_display_name"] == "'+cmd|' /C calc'!A0"
    assert row["tags"] == "'-2+3;\tpadded"
    assert row["sentiment_score"] == "-0.5"  # a number, not text
    assert ack["author_handle"] == "'@evil" and ack["text"] == "'\r=1+1"


def test_client_user_exports_only_their_clients_rows(northwind, client_a):
    lumen = make_channel(platform="webhook", config={}, client=ClientFactory(name="Lumen Bikes"))
    ours = mention(northwind, datetime(2026, 11, 3, 12, 0, tzinfo=UTC), text="Ours")
    theirs = mention(lumen, datetime(2026, 11, 3, 12, 0, tzinfo=UTC), text="Theirs")
    acknowledge(ours, datetime(2026, 11, 3, 13, 0, tzinfo=UTC))
    acknowledge(theirs, datetime(2026, 11, 3, 13, 0, tzinfo=UTC))
    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=northwind.client)
    client_a.force_login(viewer)

    mentions = csv_rows(download(client_a, northwind.client, **NOVEMBER))
    acknowledgements = csv_rows(
        download(client_a, northwind.client, "acknowledgements", **NOVEMBER)
    )

    assert [row["text"] for row in mentions] == ["Ours"]
    assert {row["client"] for row in mentions} == {"Northwind Coffee"}
    assert [row["mention_id"] for row in acknowledgements] == [str(ours.pk)]
    for what in ("mentions", "acknowledgements"):
        assert download(client_a, lumen.client, what, **NOVEMBER).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(northwind, client_a):
    for what in ("mentions", "acknowledgements"):
        response = download(client_a, northwind.client, what)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_another_agency_cannot_reach_the_export(northwind, agency_b):
    mention(northwind, datetime(2026, 11, 3, 12, 0, tzinfo=UTC))
    beta = host_client(agency_b)
    for what in ("mentions", "acknowledgements"):
        assert download(beta, northwind.client, what).status_code == 302  # nobody signed in
    beta.post("/accounts/login/", {"username": "owner@beta.test", "password": PASSWORD})
    for what in ("mentions", "acknowledgements"):
        assert download(beta, northwind.client, what, **NOVEMBER).status_code == 404


def test_export_runs_as_many_queries_for_many_rows_as_for_one(northwind, owner_http):
    def queries(what: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            csv_rows(download(owner_http, northwind.client, what, **NOVEMBER))
        return len(captured)

    def add(days) -> None:
        for day in days:
            posted = datetime(2026, 11, day, 15, 0, tzinfo=UTC)
            team = TeamFactory()
            found = mention(northwind, posted, handle=f"p{day}", tags=["a"], team=team)
            acknowledge(found, posted + timedelta(minutes=5))

    add([1])
    one = {what: queries(what) for what in ("mentions", "acknowledgements")}
    add(range(2, 25))
    many = {what: queries(what) for what in ("mentions", "acknowledgements")}

    assert many == one


def _add_mentions(channel, count: int) -> None:
    """``count`` copies of one mention, inserted by the database in one statement."""
    template = mention(
        channel, datetime(2026, 11, 15, 12, 0, tzinfo=UTC), handle="bulk", tags=["bulk"],
        text="Waited twenty minutes for an oat milk latte this morning, the queue was out the door",
        url="https://social.example/p/bulk",
    )  # fmt: skip
    quote = connection.ops.quote_name
    fields = [
        field
        for field in Mention._meta.concrete_fields
        if not field.primary_key and not getattr(field, "generated", False)
    ]
    copied = [
        f"m.{quote(field.column)} || '-' || n" if field.name == "external_id"
        else f"m.{quote(field.column)}"
        for field in fields
    ]  # fmt: skip
    table = quote(Mention._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
            f"SELECT {', '.join(copied)} FROM {table} m, generate_series(2, %s) n WHERE m.id = %s",
            [count, template.pk],
        )


def _stream_peak(http, client) -> tuple[int, int]:
    """Rows downloaded and the peak Python memory allocated while streaming them."""
    tracemalloc.start()
    try:
        response = download(http, client, **NOVEMBER)
        assert response.status_code == 200
        lines = sum(chunk.count(b"\r\n") for chunk in response.streaming_content)
        return lines - 1, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_however_many_rows_are_exported(northwind, owner_http):
    csv_rows(download(owner_http, northwind.client, **NOVEMBER))  # loads the code: not measured
    _add_mentions(northwind, 10_000)
    rows, small = _stream_peak(owner_http, northwind.client)
    assert rows == 10_000

    _add_mentions(northwind, 40_000)
    rows, large = _stream_peak(owner_http, northwind.client)
    assert rows == 50_000

    assert large < 1.5 * small, f"peak {small:,} B for 10,000 rows, {large:,} B for 50,000"

"""The database restarting during a fetch: the fetching connection is terminated
(``pg_terminate_backend``, what a PostgreSQL restart or failover does to every session) while a
real worker waits for page 3 of a Facebook page feed — page 1 is committed with its cursor, page 2
is fetched but not yet stored. The next run reconnects, resumes at page 2, and every mention ends
up stored exactly once."""

from __future__ import annotations

import json
import time
import uuid
import zlib

import psycopg
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.channels.models import Channel, FetchRun
from apps.channels.services import fetch_run_queue
from apps.channels.tasks import fetch_channel
from apps.listening.models import Mention
from tests.support import CeleryWorker, subprocess_env

from .factories import committed_facebook_channel
from .fakeplatform import Canned, fixture_json
from .test_pipeline_faults import FACEBOOK_IDS, FEED, JSON_TYPE, PAGE_ID

pytestmark = pytest.mark.e2e
PAGE3_DELAY = 4.0  # seconds: long enough to cut the connection while the worker waits
PAGE1_AFTER = "QVFIUkFGVEVSMQ"  # the cursor stored with page 1
PAGE3_POST, PAGE3_COMMENT = "104882391112233_901200000000040", "901200000000040_1400000000000001"
ALL_IDS = sorted([*FACEBOOK_IDS, PAGE3_COMMENT])  # the page's own posts are not mentions


def three_pages() -> tuple[bytes, bytes, bytes]:
    """The recorded two-page feed, with page 2 pointing at a third (older) page."""
    page1 = fixture_json("facebook_page/feed_page1.json")
    page2 = fixture_json("facebook_page/feed_page2.json")
    page2["paging"]["next"] = (
        f"https://graph.facebook.com/v19.0/{PAGE_ID}/feed?after=QVFIUkFGVEVSMg"
    )
    page3 = fixture_json("facebook_page/feed_page2.json")
    post = page3["data"][0]
    post["id"], post["updated_time"] = PAGE3_POST, "2026-09-02T09:00:00+0000"
    post["created_time"], post["message"] = "2026-09-01T09:00:00+0000", "Summer tyre check"
    comment = post["comments"]["data"][0]
    comment["id"], comment["created_time"] = PAGE3_COMMENT, "2026-09-02T09:00:00+0000"
    page3["paging"]["cursors"] = {"before": "QVFIUkFGVEVSMg", "after": "QVFIUkFGVEVSMw"}
    return tuple(json.dumps(page).encode() for page in (page1, page2, page3))


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def paged_channel(agency_a, django_db_blocker, platform_server):
    """A Facebook page channel (committed) of three pages; the first time, page 3 answers only
    after a wait. The second run asks for pages 2 and 3 again."""
    page1, page2, page3 = three_pages()
    platform_server.route(
        "GET", FEED, Canned(200, page1, JSON_TYPE), Canned(200, page2, JSON_TYPE),
        Canned(200, page3, JSON_TYPE, delay=PAGE3_DELAY),
        Canned(200, page2, JSON_TYPE), Canned(200, page3, JSON_TYPE),
    )  # fmt: skip
    with committed_facebook_channel(
        agency_a, django_db_blocker, platform_server.url, "Restarted"
    ) as channel:
        yield channel


def admin_connection(django_db_blocker) -> psycopg.Connection:
    with django_db_blocker.unblock():
        db = connection.settings_dict
    params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"],
              "password": db["PASSWORD"], "dbname": db["NAME"]}  # fmt: skip
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


def fetching_backend(admin: psycopg.Connection, schema: str, channel_id: int) -> int | None:
    """The server process of the session fetching the channel: it holds the channel's
    advisory lock (``apps.channels.fetching._channel_lock``)."""
    key = zlib.crc32(f"{schema}:channel:{channel_id}".encode()) - 2**31
    row = admin.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND classid = 7301 AND objid = (%s::bigint & 4294967295)::oid",
        [key],
    ).fetchone()
    return row[0] if row else None


def test_the_database_restarting_during_a_fetch_recovers_on_the_next_run(
    paged_channel, agency_a, django_db_blocker, platform_server
):
    queue = f"restart-{uuid.uuid4().hex[:8]}"
    env = subprocess_env(CELERY_DEFAULT_QUEUE=queue)

    def in_agency(read):
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            return read()

    def stored() -> list[str]:
        return in_agency(lambda: sorted(
            Mention.objects.filter(channel=paged_channel).values_list("external_id", flat=True)
        ))  # fmt: skip

    def queue_fetch() -> FetchRun:
        def send() -> FetchRun:
            run = fetch_run_queue(channel_id=paged_channel.pk, trigger=FetchRun.Trigger.MANUAL)
            fetch_channel.apply_async((paged_channel.pk, run.pk), queue=queue)
            return run

        return in_agency(send)

    def run_row(run: FetchRun) -> FetchRun:
        return in_agency(lambda: FetchRun.objects.get(pk=run.pk))

    def channel_row() -> Channel:
        return in_agency(lambda: Channel.objects.get(pk=paged_channel.pk))

    with admin_connection(django_db_blocker) as admin, CeleryWorker(queue, env) as worker:
        cut = queue_fetch()
        assert wait_for(lambda: len(stored()) == 3), worker.output()  # page 1 is in
        assert len(platform_server.requests_to("GET", FEED)) == 3  # page 3 is on its way
        pid = fetching_backend(admin, agency_a.schema_name, paged_channel.pk)
        assert pid is not None, "the fetching session holds the channel's lock"
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]

        # Page 3 arrives; storing page 2 meets the dead connection. The run and the channel
        # say so (recorded on a fresh connection), the cursor still points after page 1.
        assert wait_for(lambda: run_row(cut).finished_at is not None, PAGE3_DELAY + 30), (
            worker.output()
        )
        cut, channel = run_row(cut), channel_row()
        assert (cut.status, cut.pages, cut.new, cut.errors) == (FetchRun.Status.PARTIAL, 1, 3, 1)
        assert "Could not store a page: terminating connection" in cut.error_message
        assert (channel.health, channel.consecutive_failures) == (Channel.Health.DEGRADED, 1)
        assert channel.last_error == cut.error_message
        assert channel.cursor["page"] == PAGE1_AFTER
        assert len(stored()) == 3  # page 1 only: page 2 was never half-stored

        resumed = queue_fetch()  # the next run ("fetch now", or the dispatcher after backoff)
        assert wait_for(lambda: run_row(resumed).finished_at is not None), worker.output()

    resumed, channel = run_row(resumed), channel_row()
    assert (resumed.status, resumed.pages, resumed.new, resumed.duplicates, resumed.errors) == (
        FetchRun.Status.SUCCEEDED,
        2,
        2,
        0,
        0,
    )
    assert (channel.health, channel.consecutive_failures, channel.last_error) == ("ok", 0, "")
    assert channel.last_success_at >= resumed.started_at
    # The second run started where the first stopped: after page 1, not at the top.
    assert [r.param("after") for r in platform_server.requests_to("GET", FEED)] == [
        None, PAGE1_AFTER, "QVFIUkFGVEVSMg", PAGE1_AFTER, "QVFIUkFGVEVSMg"
    ]  # fmt: skip
    assert stored() == ALL_IDS  # every mention, each once


def test_a_real_postgresql_restart_mid_fetch_loses_and_repeats_nothing(
    paged_channel, agency_a, django_db_blocker, platform_server
):
    """The same fetch on a PostgreSQL server of the test's own, restarted (``pg_ctl restart``)
    while the worker waits for page 3: the run records the failure, the next run resumes after
    page 1, and every mention is stored once."""
    from psycopg import sql

    from tests.support import ScratchPostgres, test_database_url

    server = ScratchPostgres().start()
    try:
        with django_db_blocker.unblock():
            url = server.copy_database(test_database_url(), "rapport_restart")

        def query(text: str, table: type) -> list[tuple]:
            statement = sql.SQL(text).format(
                table=sql.Identifier(agency_a.schema_name, table._meta.db_table)
            )
            for _attempt in range(50):  # the server may be coming back up
                try:
                    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
                        return db.execute(statement, [paged_channel.pk]).fetchall()
                except psycopg.OperationalError:
                    time.sleep(0.2)
            raise AssertionError("the scratch server did not come back")

        def stored() -> list[str]:
            rows = query("SELECT external_id FROM {table} WHERE channel_id = %s", Mention)
            return sorted(external_id for (external_id,) in rows)

        def finished_runs() -> list[tuple]:
            return query(
                "SELECT status, pages, new FROM {table} WHERE channel_id = %s "
                "AND finished_at IS NOT NULL ORDER BY id", FetchRun,
            )  # fmt: skip

        queue = f"restart-{uuid.uuid4().hex[:8]}"
        env = subprocess_env(CELERY_DEFAULT_QUEUE=queue, DATABASE_URL=url)
        with CeleryWorker(queue, env) as worker, schema_context(agency_a.schema_name):
            fetch_channel.apply_async((paged_channel.pk,), queue=queue)
            assert wait_for(lambda: len(stored()) == 3), worker.output()  # page 1 is in
            assert len(platform_server.requests_to("GET", FEED)) == 3  # page 3 on its way
            server.restart()
            assert wait_for(lambda: len(finished_runs()) == 1, PAGE3_DELAY + 30), worker.output()
            assert finished_runs() == [("partial", 1, 3)]  # recorded after the restart
            assert len(stored()) == 3  # page 2 was never half-stored

            fetch_channel.apply_async((paged_channel.pk,), queue=queue)  # the next run
            assert wait_for(lambda: len(finished_runs()) == 2), worker.output()
        assert finished_runs() == [("partial", 1, 3), ("succeeded", 2, 2)]
        assert stored() == ALL_IDS  # every mention, each once (no duplicates either)
    finally:
        server.stop()

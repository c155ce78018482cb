"""A worker killed with SIGKILL in the middle of a fetch: its run's heartbeat stops, the recovery
sweep marks the run failed and fetches the channel again — without waiting an hour for the broker
to redeliver the task — and every mention ends up stored exactly once (each page commits with
its cursor; the next run resumes from it). A fetch that is slow but alive is left alone."""

from __future__ import annotations

import signal
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.channels.models import FetchRun
from apps.channels.services import fetch_run_queue, fetch_runs_recover_dead
from apps.channels.tasks import fetch_channel
from apps.listening.models import Mention
from tests.support import CeleryWorker, subprocess_env

from .factories import committed_facebook_channel
from .fakeplatform import Canned
from .test_database_restart import ALL_IDS, three_pages
from .test_pipeline_faults import FEED, JSON_TYPE

pytestmark = pytest.mark.e2e


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def paged_channel(agency_a, django_db_blocker, platform_server):
    """A Facebook page channel (committed) of three pages; the first time, page 3 answers only
    after a long wait — long enough to kill the worker while it waits, with page 1 stored and
    page 2 fetched but not yet stored. The next run asks for pages 2 and 3 again."""
    page1, page2, page3 = three_pages()
    platform_server.route(
        "GET", FEED, Canned(200, page1, JSON_TYPE), Canned(200, page2, JSON_TYPE),
        Canned(200, page3, JSON_TYPE, delay=12),
        Canned(200, page2, JSON_TYPE), Canned(200, page3, JSON_TYPE),
    )  # fmt: skip
    with committed_facebook_channel(
        agency_a, django_db_blocker, platform_server.url, "Killed"
    ) as channel:
        yield channel


def test_a_worker_killed_mid_fetch_is_recovered_by_its_heartbeat_and_loses_and_repeats_nothing(
    paged_channel, agency_a, django_db_blocker, monkeypatch
):
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    env = subprocess_env(CELERY_DEFAULT_QUEUE=queue, RAPPORT_HEARTBEAT_SECONDS="0.5")
    monkeypatch.setattr(fetch_channel, "queue", queue, raising=False)  # what recovery sends
    monkeypatch.setattr(fetch_channel, "_exec_options", None, raising=False)
    stale = timedelta(seconds=3)  # the test's staleness; production waits 90 s

    def stored() -> list[str]:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            return sorted(
                Mention.objects.filter(channel=paged_channel).values_list("external_id", flat=True)
            )

    def runs() -> list[FetchRun]:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            return list(FetchRun.objects.filter(channel=paged_channel).order_by("pk"))

    def recover() -> list[FetchRun]:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            return fetch_runs_recover_dead(stale_after=stale)

    with CeleryWorker(queue, env) as worker:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            run = fetch_run_queue(channel_id=paged_channel.pk, trigger=FetchRun.Trigger.MANUAL)
            fetch_channel.apply_async((paged_channel.pk, run.pk), queue=queue)
        assert wait_for(lambda: len(stored()) == 3), worker.output()  # page 1 is in
        started = runs()[0].heartbeat_at
        # Slow (waiting for page 3) but alive: its heartbeat goes on, recovery leaves it alone.
        assert wait_for(lambda: runs()[0].heartbeat_at > started + stale), worker.output()
        assert recover() == [] and runs()[0].status == "running"
        worker.process.send_signal(signal.SIGKILL)  # while it waits for page 3
        worker.process.wait(timeout=10)
    assert len(stored()) == 3  # page 1 stayed; page 2 was never half-stored
    assert runs()[0].status == "running"  # what the user saw for an hour before

    with CeleryWorker(queue, env) as worker:
        assert wait_for(lambda: recover() != [], seconds=30)  # its heartbeat went stale
        dead, again = runs()
        assert dead.status == "failed" and "worker running this fetch stopped" in dead.error_message
        assert again.trigger == "manual"

        def finished() -> bool:
            return runs()[-1].finished_at is not None

        assert wait_for(finished), worker.output()
    assert [run.status for run in runs()] == ["failed", "succeeded"]
    assert stored() == ALL_IDS  # every mention, each once
    assert recover() == []


def test_a_late_redelivery_of_the_dead_runs_task_fetches_nothing(in_agency_a, platform_server):
    """The broker hands the killed worker's task out again after its visibility timeout: the
    run was recovered (failed), so the task does nothing."""
    from .factories import make_channel
    from .test_pipeline_faults import PAGE_ID

    channel = make_channel(
        platform="facebook_page", config={"base_url": platform_server.url + "/v19.0",
        "page_id": PAGE_ID}, credentials={"access_token": "EAAB-page-token"},
    )  # fmt: skip
    run = fetch_run_queue(channel_id=channel.pk, trigger=FetchRun.Trigger.SCHEDULE)
    FetchRun.objects.filter(pk=run.pk).update(status="running", heartbeat_at=timezone.now())
    assert fetch_runs_recover_dead(stale_after=timedelta(minutes=1)) == []  # alive
    FetchRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=2))
    assert [dead.pk for dead in fetch_runs_recover_dead(stale_after=timedelta(minutes=1))] == [
        run.pk
    ]
    assert fetch_channel.apply(args=[channel.pk, run.pk]).get()["status"] == "failed"
    assert platform_server.requests == []
    (again,) = FetchRun.objects.filter(channel=channel).exclude(pk=run.pk)
    assert (again.status, again.trigger) == ("queued", "schedule")

"""A worker killed with SIGKILL in the middle of a fetch, then replaced: every mention ends up
stored exactly once (each page commits with its cursor; the next run resumes from it)."""

from __future__ import annotations

import signal
import time
import uuid

import pytest
from django_tenants.utils import schema_context

from apps.channels.models import FetchRun
from apps.channels.services import fetch_run_queue
from apps.channels.tasks import fetch_channel
from apps.listening.models import Mention
from tests.support import CeleryWorker, subprocess_env

from .factories import committed_facebook_channel
from .fakeplatform import Canned, fixture, json_response
from .test_pipeline_faults import FACEBOOK_IDS, FEED, JSON_TYPE

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
    """A Facebook page channel (committed): page 1 answers at once, page 2 only after a long
    wait the first time — long enough to kill the worker while it waits."""
    page2 = fixture("facebook_page/feed_page2.json")
    platform_server.route(
        "GET", FEED, json_response("facebook_page/feed_page1.json"),
        Canned(200, page2, JSON_TYPE, delay=30), Canned(200, page2, JSON_TYPE),
    )  # fmt: skip
    with committed_facebook_channel(
        agency_a, django_db_blocker, platform_server.url, "Killed"
    ) as channel:
        yield channel


def test_a_worker_killed_mid_fetch_loses_and_repeats_nothing(
    paged_channel, agency_a, django_db_blocker
):
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    env = subprocess_env(CELERY_DEFAULT_QUEUE=queue)

    def stored() -> list[str]:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            return sorted(
                Mention.objects.filter(channel=paged_channel).values_list("external_id", flat=True)
            )

    def queue_fetch() -> FetchRun:
        """ "Fetch now", sent to the private queue (the tenant travels with the task)."""
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            run = fetch_run_queue(channel_id=paged_channel.pk, trigger=FetchRun.Trigger.MANUAL)
            fetch_channel.apply_async((paged_channel.pk, run.pk), queue=queue)
            return run

    with CeleryWorker(queue, env) as worker:
        queue_fetch()
        assert wait_for(lambda: len(stored()) == 3), worker.output()  # page 1 is in
        worker.process.send_signal(signal.SIGKILL)  # while it waits for page 2
        worker.process.wait(timeout=10)
    assert len(stored()) == 3  # page 1 stayed; page 2 was never half-stored

    with CeleryWorker(queue, env) as worker:
        run = queue_fetch()

        def finished() -> bool:
            with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
                return FetchRun.objects.get(pk=run.pk).finished_at is not None

        assert wait_for(finished), worker.output()
    assert stored() == sorted(FACEBOOK_IDS)  # every mention, each once

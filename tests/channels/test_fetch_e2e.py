"""End to end: Celery beat finds a due RSS channel and a real worker fetches it."""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from apps.channels.models import FetchRun
from apps.channels.services import channel_create
from apps.clients.models import Client
from apps.listening.models import Author, Mention
from tests.support import CeleryBeat, CeleryWorker, subprocess_env

from .fakeplatform import Canned, fixture

pytestmark = pytest.mark.e2e
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture
def committed_feed_channel(agency_a, django_db_blocker, platform_server):
    """A due RSS channel committed in agency A, so worker processes can see it."""
    platform_server.route(
        "GET", "/feed.xml", Canned(200, fixture("rss/brew_notes_rss20.xml"), RSS_TYPE)
    )
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        client = Client.objects.create(name="E2E Coffee", slug=f"e2e-{uuid.uuid4().hex[:6]}")
        channel = channel_create(
            client=client, platform="rss", name="Brew notes",
            config={"url": f"{platform_server.url}/feed.xml"},
        ).channel  # fmt: skip
    yield channel
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        author_ids = list(Mention.objects.filter(client=client).values_list("author_id", flat=True))
        client.delete()
        Author.objects.filter(pk__in=author_ids).delete()


def test_beat_dispatches_a_due_channel_and_a_worker_fetches_it(
    committed_feed_channel, agency_a, django_db_blocker, tmp_path
):
    queue = f"e2e-{uuid.uuid4().hex[:8]}"
    env = subprocess_env(CELERY_DEFAULT_QUEUE=queue, RAPPORT_DISPATCH_INTERVAL_SECONDS="1")
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        env["RAPPORT_VAR_DIR"] = str(tmp_path)  # the beat and worker share this broker folder
    with (
        CeleryWorker(queue, env) as worker,
        CeleryBeat(str(tmp_path / "beat-schedule"), env) as beat,
    ):
        deadline = time.monotonic() + 90
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            while time.monotonic() < deadline:
                runs = FetchRun.objects.filter(channel=committed_feed_channel)
                if runs.filter(status=FetchRun.Status.SUCCEEDED).exists():
                    break
                time.sleep(0.5)
            run = runs.filter(status=FetchRun.Status.SUCCEEDED).first()
            assert run is not None, worker.output() + beat.output()
            stored = Mention.objects.filter(channel=committed_feed_channel).count()
    assert run.trigger == FetchRun.Trigger.SCHEDULE
    assert run.new == stored > 0

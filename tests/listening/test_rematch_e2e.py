"""End to end: editing a query queues a re-match that a real worker runs on committed mentions."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection
from django_tenants.utils import schema_context
from psycopg import sql

from agency.celery import app
from apps.clients.models import Client
from apps.listening.models import Author, ListeningQuery, Mention, QueryRematch
from apps.listening.services import query_rematch_run, query_update
from tests.channels.factories import make_channel
from tests.conftest import PASSWORD, host_client
from tests.support import CeleryWorker, subprocess_env, test_database_url

pytestmark = pytest.mark.e2e
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TEXTS = (
    ("Loving the oat latte at the new store", "mastodon", "en"),
    ("Flat white or latte? Latte, always.", "bluesky", "en"),
    ("Cold brew season is here", "mastodon", "en"),
    ("Un latte por favor", "mastodon", "es"),
    ("decaf latte again, sigh", "reddit", "en"),
)


@pytest.fixture
def committed_query(agency_a, django_db_blocker):
    """A query and 50 mentions committed in agency A, so a worker process can see them."""
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        client = Client.objects.create(name="E2E Lattes", slug=f"e2e-{uuid.uuid4().hex[:6]}")
        channel = make_channel(platform="webhook", config={}, client=client)
        authors = [
            Author.objects.create(platform=platform, handle=f"{client.slug}-{n}")
            for n, (_, platform, _) in enumerate(TEXTS)
        ]
        mentions = []
        for n in range(50):
            text, platform, language = TEXTS[n % len(TEXTS)]
            mentions.append(
                Mention(
                    client=client, channel=channel, platform=platform, external_id=f"m{n}",
                    author=authors[n % len(TEXTS)], text=text, language=language,
                    posted_at=T0 + timedelta(minutes=n), fetched_at=T0 + timedelta(hours=1),
                )
            )  # fmt: skip
        Mention.objects.bulk_create(mentions)
        # Created without a re-match: the one under test is queued by the edit.
        query = ListeningQuery.objects.create(client=client, name="Coffee", expression="coffee")
    yield query
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        client.delete()
        Author.objects.filter(pk__in=[author.pk for author in authors]).delete()


def test_an_edited_query_is_rematched_by_a_worker_and_its_progress_reports_done(
    committed_query, agency_a, django_db_blocker, monkeypatch
):
    queue = f"e2e-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.conf, "task_default_queue", queue)  # where this process sends
    browser = host_client(agency_a)
    with CeleryWorker(queue, subprocess_env()) as worker, django_db_blocker.unblock():
        with schema_context(agency_a.schema_name):
            query_update(query=committed_query, expression="latte -decaf lang:en")
            rematch = committed_query.rematches.get()
        browser.post("/accounts/login/", {"username": "owner@alpha.test", "password": PASSWORD})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            progress = browser.get(f"/listening/rematches/{rematch.pk}/").json()
            if progress["finished"]:
                break
            time.sleep(0.25)
        browser.post("/accounts/logout/")
        assert progress["finished"], worker.output()
        with schema_context(agency_a.schema_name):
            filed = Mention.objects.filter(matched_queries__contains=[committed_query.pk])
            filed_texts = set(filed.values_list("text", flat=True))
            filed_count = filed.count()
    # Of every five mentions, the first two are English lattes; Spanish and decaf ones are not.
    assert progress | {"id": 0, "query": 0} == {
        "id": 0, "query": 0, "status": "done", "total": 50, "processed": 50, "matched": 20,
        "percent": 100, "error": "", "finished": True,
    }  # fmt: skip
    assert filed_count == 20 and filed_texts == {TEXTS[0][0], TEXTS[1][0]}


def test_mentions_stored_during_a_rematch_are_not_counted_past_its_total(
    committed_query, agency_a, django_db_blocker
):
    """The re-match covers the mentions there were when it started (later ones are matched as
    they are stored): processed never exceeds total, however many arrive meanwhile."""
    client = committed_query.client
    with django_db_blocker.unblock():
        with schema_context(agency_a.schema_name):
            rematch = QueryRematch.objects.create(query=committed_query)
        # Another session holds the query row, so the first batch waits once total is counted.
        with psycopg.connect(test_database_url(), autocommit=False) as holder:
            table = sql.Identifier(agency_a.schema_name, ListeningQuery._meta.db_table)
            holder.execute(
                sql.SQL("SELECT 1 FROM {} WHERE id = %s FOR UPDATE").format(table),
                [committed_query.pk],
            )

            def run() -> None:
                with schema_context(agency_a.schema_name):
                    query_rematch_run(rematch_id=rematch.pk, batch_size=20)
                connection.close()

            worker = threading.Thread(target=run)
            worker.start()
            deadline = time.monotonic() + 30
            with schema_context(agency_a.schema_name):
                while QueryRematch.objects.get(pk=rematch.pk).status != "running":
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
                channel, author = (
                    client.channels.get(),
                    Author.objects.filter(handle__startswith=client.slug).first(),
                )
                Mention.objects.bulk_create(
                    Mention(
                        client=client,
                        channel=channel,
                        platform="webhook",
                        external_id=f"late{n}",
                        author=author,
                        text="latte",
                        posted_at=T0,
                        fetched_at=T0,
                    )
                    for n in range(15)
                )
            holder.rollback()  # the batches go on
            worker.join(60)
        with schema_context(agency_a.schema_name):
            done = QueryRematch.objects.get(pk=rematch.pk)
    assert done.status == "done"
    assert (done.processed, done.total) == (50, 50)

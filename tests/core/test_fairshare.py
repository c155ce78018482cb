"""Fair sharing between agencies: one agency's fetches and re-matches take at most its slots of
the shared workers. Agency A has every slot busy with its own (pathological) work: its next
fetch and re-match step aside — queued, back in the outbox for a few seconds — while agency B's
run at once; once A's work ends, A's wait is over."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.channels.models import FetchRun
from apps.channels.services import channel_fetch, fetch_run_queue
from apps.core.fairshare import LOCK_CLASS, slot_key
from apps.core.outbox import outbox_pending
from apps.listening.models import QueryRematch
from apps.listening.services import query_create, query_rematch_run
from tests.channels.factories import make_channel
from tests.channels.fakeplatform import json_response
from tests.channels.test_database_restart import admin_connection
from tests.channels.test_pipeline_faults import PAGE_ID


@pytest.fixture
def two_agencies(db, agency_a, agency_b, platform_server, settings):
    settings.RAPPORT_AGENCY_TASK_SLOTS = 2
    made = {}
    for agency in (agency_a, agency_b):
        connection.set_tenant(agency)
        prefix = f"/{agency.slug}/v19.0"
        platform_server.route(
            "GET", f"{prefix}/{PAGE_ID}/feed", json_response("facebook_page/feed_page1.json"),
            json_response("facebook_page/feed_page2.json"),
        )  # fmt: skip
        channel = make_channel(
            platform="facebook_page", config={"base_url": platform_server.url + prefix,
            "page_id": PAGE_ID}, credentials={"access_token": "EAAB-page-token"},
        )  # fmt: skip
        query = query_create(client=channel.client, name="Tyres", expression="tyre OR wheel")
        made[agency.slug] = (channel, query.rematches.get())
    yield made
    connection.set_schema_to_public()


def test_an_agency_using_all_its_slots_waits_while_another_agency_fetches_at_once(
    two_agencies, agency_a, agency_b, django_db_blocker, platform_server
):
    (channel_a, rematch_a), (channel_b, rematch_b) = two_agencies["alpha"], two_agencies["beta"]
    with admin_connection(django_db_blocker) as other_worker:
        for slot in (0, 1):  # agency A's long tasks hold both of its slots
            other_worker.execute(
                "SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, slot_key("alpha", slot)]
            )
        connection.set_tenant(agency_a)
        run_a = fetch_run_queue(channel_id=channel_a.pk, trigger=FetchRun.Trigger.MANUAL)
        assert channel_fetch(channel_id=channel_a.pk, run_id=run_a.pk).status == "queued"
        assert query_rematch_run(rematch_id=rematch_a.pk).status == "queued"
        waiting = [(m.task.rsplit(".", 1)[1], m.args) for m in outbox_pending(schema_name="alpha")]
        assert ("fetch_channel", [channel_a.pk, run_a.pk]) in waiting  # back in a few seconds
        assert ("rematch_query", [rematch_a.pk]) in waiting
        assert not platform_server.requests_to("GET", f"/alpha/v19.0/{PAGE_ID}/feed")

        connection.set_tenant(agency_b)  # agency B is not held up by A at all
        run_b = fetch_run_queue(channel_id=channel_b.pk, trigger=FetchRun.Trigger.MANUAL)
        assert channel_fetch(channel_id=channel_b.pk, run_id=run_b.pk).status == "succeeded"
        assert query_rematch_run(rematch_id=rematch_b.pk).status == "done"

    connection.set_tenant(agency_a)  # A's long tasks ended: its waiting work goes through
    assert channel_fetch(channel_id=channel_a.pk, run_id=run_a.pk).status == "succeeded"
    assert query_rematch_run(rematch_id=rematch_a.pk).status == "done"
    assert QueryRematch.objects.get(pk=rematch_a.pk).total == FetchRun.objects.get(pk=run_a.pk).new


def test_one_slot_free_is_enough(two_agencies, agency_a, django_db_blocker):
    channel_a, _ = two_agencies["alpha"]
    with admin_connection(django_db_blocker) as other_worker:
        other_worker.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, slot_key("alpha", 0)])
        connection.set_tenant(agency_a)
        run = fetch_run_queue(channel_id=channel_a.pk, trigger=FetchRun.Trigger.MANUAL)
        assert channel_fetch(channel_id=channel_a.pk, run_id=run.pk).status == "succeeded"

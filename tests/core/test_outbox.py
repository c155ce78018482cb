"""The transactional outbox: with the broker down, "Fetch now", a new query, a reply and a
webhook event each answer at once without an error and wait in the outbox; once the broker is
back the sweep publishes them and each runs exactly once (a real worker on a real Redis)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context
from knox.models import AuthToken
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.acknowledgements.models import Acknowledgement
from apps.acknowledgements.tasks import deliver_acknowledgement
from apps.channels.connectors.base import AuthorData, MentionData
from apps.channels.models import FetchRun
from apps.channels.services import channel_fetch
from apps.channels.tasks import fetch_channel
from apps.core.outbox import outbox_pending, outbox_publish_due
from apps.listening.models import ListeningQuery, Mention, QueryRematch
from apps.listening.tasks import rematch_query
from apps.tenants.services import agency_host
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.services import subscription_create
from apps.webhooks.tasks import deliver_webhook
from tests.api.conftest import api_client
from tests.channels.factories import committed_facebook_channel, make_channel, store_mentions
from tests.channels.fakeplatform import Canned, json_response
from tests.channels.test_pipeline_faults import FACEBOOK_IDS, FEED, JSON_TYPE, PAGE_ID
from tests.support import BrokerDown, CeleryWorker, subprocess_env

COMMENT = f"{PAGE_ID}_555000111"  # a comment stored before the outage, answered during it


def two_pages(platform_server) -> None:
    """The recorded two-page feed of a Facebook page."""
    platform_server.route(
        "GET", FEED, json_response("facebook_page/feed_page1.json"),
        json_response("facebook_page/feed_page2.json"),
    )  # fmt: skip


def facebook(platform_server):
    two_pages(platform_server)
    return make_channel(
        platform="facebook_page",
        config={"base_url": platform_server.url + "/v19.0", "page_id": PAGE_ID},
        credentials={"access_token": "EAAB-page-token"},
    )


def test_fetch_now_with_the_broker_down_answers_and_leaves_the_run_queued_in_the_outbox(
    in_agency_a, agency_a, platform_server, django_capture_on_commit_callbacks
):
    channel = facebook(platform_server)
    owner = User.objects.get(email="owner@alpha.test")
    web = APIClient(HTTP_HOST=agency_host(agency_a.slug))
    web.force_login(owner)
    with BrokerDown(), django_capture_on_commit_callbacks(execute=True):
        api = api_client(agency_a, owner).post(f"/api/v1/channels/{channel.pk}/fetch/")
        ui = web.post(f"/channels/{channel.pk}/fetch/", HTTP_ACCEPT="application/json")
    assert (api.status_code, ui.status_code) == (202, 202)
    runs = list(FetchRun.objects.filter(channel=channel).order_by("pk"))
    assert [run.status for run in runs] == ["queued", "queued"]
    assert [(m.task, m.args) for m in outbox_pending(schema_name=agency_a.schema_name)] == [
        ("apps.channels.tasks.fetch_channel", [channel.pk, run.pk]) for run in runs
    ]


def test_a_query_created_with_the_broker_down_is_saved_and_its_rematch_waits(
    in_agency_a, agency_a, platform_server, django_capture_on_commit_callbacks
):
    channel = facebook(platform_server)
    owner = User.objects.get(email="owner@alpha.test")
    with BrokerDown(), django_capture_on_commit_callbacks(execute=True):
        response = api_client(agency_a, owner).post(
            "/api/v1/queries/",
            {"client": channel.client_id, "name": "Tyres", "expression": "tyre OR tire"},
            format="json",
        )
    assert response.status_code == 201, response.content
    rematch = QueryRematch.objects.get(query_id=response.json()["id"])
    assert rematch.status == "queued"
    (waiting,) = outbox_pending(schema_name=agency_a.schema_name)
    assert (waiting.task, waiting.args) == ("apps.listening.tasks.rematch_query", [rematch.pk])


def test_a_fetch_task_delivered_twice_fetches_once(in_agency_a, platform_server):
    channel = facebook(platform_server)
    run = FetchRun.objects.create(channel=channel, trigger=FetchRun.Trigger.MANUAL)
    assert channel_fetch(channel_id=channel.pk, run_id=run.pk).status == "succeeded"
    again = channel_fetch(channel_id=channel.pk, run_id=run.pk)  # the same task, redelivered
    assert again.status == "succeeded" and again.pk == run.pk
    assert len(platform_server.requests_to("GET", FEED)) == 2  # its two pages, once


def test_a_delayed_message_waits_for_its_time(in_agency_a, platform_server):
    from apps.core import outbox

    channel = facebook(platform_server)
    outbox.enqueue("apps.channels.tasks.fetch_channel", channel.pk, delay=600)
    assert outbox_publish_due() == 0  # not yet due
    assert len(outbox_pending(schema_name="alpha")) == 1


# --- acceptance: broker stopped, then back -----------------------------------------------------


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def committed_workspace(agency_a, django_db_blocker, platform_server):
    """A committed Facebook page channel with one stored comment, a webhook subscription to
    ``mention.acknowledged`` and an owner's API token; all removed afterwards."""
    two_pages(platform_server)
    platform_server.route(
        "POST", f"/v19.0/{COMMENT}/comments", Canned(200, b'{"id": "555000111_1"}', JSON_TYPE)
    )
    platform_server.route("POST", "/hook", Canned(200))
    with committed_facebook_channel(
        agency_a, django_db_blocker, platform_server.url, "Outage"
    ) as channel:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            stored = store_mentions(channel, [MentionData(
                external_id=COMMENT, text="Is the shop open on Sunday?", kind="comment",
                posted_at=datetime(2026, 11, 30, 9, tzinfo=UTC), author=AuthorData(handle="Jo"),
            )])  # fmt: skip
            mention = Mention.objects.get(pk=stored.created_ids[0])
            subscription, _secret = subscription_create(
                url=f"{platform_server.url}/hook", events=["mention.acknowledged"], user=None
            )
            owner = User.objects.get(email="owner@alpha.test")
            token_row, token = AuthToken.objects.create(user=owner)
        try:
            yield {"channel": channel, "mention": mention, "token": token}
        finally:
            with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
                WebhookSubscription.objects.filter(pk=subscription.pk).delete()
                token_row.delete()


@pytest.mark.e2e
def test_with_the_broker_stopped_every_action_answers_and_runs_once_when_it_is_back(
    committed_workspace, agency_a, django_db_blocker, platform_server, monkeypatch
):
    channel, mention = committed_workspace["channel"], committed_workspace["mention"]
    api = APIClient(HTTP_HOST=agency_host(agency_a.slug))
    api.credentials(HTTP_AUTHORIZATION=f"Token {committed_workspace['token']}")
    with django_db_blocker.unblock(), BrokerDown():
        fetch = api.post(f"/api/v1/channels/{channel.pk}/fetch/")
        query = api.post(
            "/api/v1/queries/", {"client": channel.client_id, "name": "Sunday", "expression":
            "sunday OR weekend"}, format="json",
        )  # fmt: skip
        reply = api.post(
            f"/api/v1/mentions/{mention.pk}/acknowledge/",
            {"kind": "reply", "text": "Hi Jo, yes: 10 to 4 on Sundays!"}, format="json",
        )  # fmt: skip
    assert [fetch.status_code, query.status_code, reply.status_code] == [202, 201, 201]

    def state() -> dict:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            return {
                "runs": list(FetchRun.objects.filter(channel=channel)
                             .values_list("status", flat=True)),
                "rematches": list(QueryRematch.objects.filter(query__client=channel.client_id)
                                  .values_list("status", flat=True)),
                "replies": list(Acknowledgement.objects.filter(mention=mention)
                                .values_list("delivery_status", flat=True)),
                "deliveries": list(WebhookDelivery.objects.values_list("status", flat=True)),
                "outbox": sorted(m.task.rsplit(".", 1)[1]
                                 for m in outbox_pending(schema_name=agency_a.schema_name)),
            }  # fmt: skip

    assert state() == {
        "runs": ["queued"], "rematches": ["queued"], "replies": ["pending"],
        "deliveries": ["pending"],
        "outbox": ["deliver_acknowledgement", "deliver_webhook", "fetch_channel", "rematch_query"],
    }  # fmt: skip
    assert platform_server.requests == []  # nothing ran while the broker was down

    # The broker is back (a real Redis): the sweep publishes, a real worker runs each task once.
    queue = f"outage-{uuid.uuid4().hex[:8]}"
    for task in (fetch_channel, rematch_query, deliver_acknowledgement, deliver_webhook):
        monkeypatch.setattr(task, "queue", queue, raising=False)
        monkeypatch.setattr(task, "_exec_options", None, raising=False)  # Celery caches the queue
    with CeleryWorker(queue, subprocess_env()) as worker:
        with django_db_blocker.unblock():
            assert outbox_publish_due() == 4
            assert outbox_publish_due() == 0

        def all_done() -> bool:
            now = state()
            return (now["runs"], now["rematches"], now["replies"], now["deliveries"]) == (
                ["succeeded"], ["done"], ["sent"], ["delivered"],
            )  # fmt: skip

        assert wait_for(all_done), (state(), worker.output())
    assert len(platform_server.requests_to("GET", FEED)) == 2  # two pages, fetched once
    assert len(platform_server.requests_to("POST", f"/v19.0/{COMMENT}/comments")) == 1
    assert len(platform_server.requests_to("POST", "/hook")) == 1
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        stored = sorted(
            Mention.objects.filter(channel=channel).values_list("external_id", flat=True)
        )
        assert stored == sorted([COMMENT, *FACEBOOK_IDS])  # every mention, each once
        assert ListeningQuery.objects.get(pk=query.json()["id"]).rematches.count() == 1


def test_a_web_process_publishes_tasks_whose_modules_it_never_imported(agency_a):
    """Only workers autodiscover the tasks modules: a fresh process (gunicorn's) must still
    publish at once rather than leave every task to the sweep."""
    import redis
    from django.conf import settings

    from tests.support import run_manage

    queue = f"web-{uuid.uuid4().hex[:8]}"
    script = (
        "import sys\nfrom django_tenants.utils import schema_context\n"
        "from agency.celery import app\nfrom apps.core import outbox\n"
        "from apps.core.models import OutboxMessage\n"
        "assert 'apps.core.tasks.describe_agency' not in app.tasks\n"
        "with schema_context('alpha'):\n"
        "    message = outbox.enqueue('apps.core.tasks.describe_agency')\n"
        "print('left', OutboxMessage.objects.filter(pk=message.pk).count())\n"
    )
    result = run_manage("shell", "-c", script, CELERY_DEFAULT_QUEUE=queue)
    assert result.returncode == 0, result.stderr
    assert "left 0" in result.stdout, result.stderr  # published, not left in the outbox
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert broker.llen(queue) == 1  # one message, on the queue a worker reads
    broker.delete(queue)

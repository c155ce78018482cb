"""Channel pages: health and fetch history, "fetch now" with progress, scoped to the user."""

from __future__ import annotations

import pytest

from apps.channels.models import FetchRun
from apps.channels.services import channel_fetch
from tests.accounts.factories import UserFactory
from tests.clients.factories import ClientMembershipFactory
from tests.conftest import PASSWORD

from .factories import make_channel
from .fakeplatform import Canned, fixture

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture
def feed(in_agency_a, platform_server):
    platform_server.route(
        "GET", "/feed.xml", Canned(200, fixture("rss/brew_notes_rss20.xml"), RSS_TYPE)
    )
    return make_channel(platform="rss", config={"url": f"{platform_server.url}/feed.xml"})


def _signed_in(client, user):
    client.force_login(user)
    return client


def test_channel_page_shows_health_and_fetch_history(feed, client_a):
    run = channel_fetch(channel_id=feed.pk)
    owner = UserFactory(role="owner")
    page = _signed_in(client_a, owner).get(f"/channels/{feed.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert feed.name in body and "OK" in body
    assert f'data-run="{run.pk}"' in body and f'<td class="run-new">{run.new}</td>' in body


def test_fetch_now_queues_a_run_and_its_progress_is_readable(
    feed, client_a, django_capture_on_commit_callbacks
):
    responder = UserFactory(role="responder")
    client = _signed_in(client_a, responder)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/channels/{feed.pk}/fetch/")
    assert response.status_code == 302
    run = FetchRun.objects.get(channel=feed)
    assert (run.trigger, run.status) == ("manual", "queued")
    assert len(callbacks) == 1  # the task is sent only once the run is committed

    channel_fetch(channel_id=feed.pk, run_id=run.pk)  # what the worker does with it
    progress = client.get(f"/channels/runs/{run.pk}/").json()
    assert progress["status"] == "succeeded" and progress["finished"] is True
    assert progress["new"] > 0 and progress["pages"] == 1


def test_client_viewer_sees_only_their_clients_channels(feed, client_a):
    viewer = UserFactory(role="client_viewer")
    other = make_channel(platform="rss", config={"url": "http://127.0.0.1:9/x.xml"})
    ClientMembershipFactory(user=viewer, client=other.client)
    client = _signed_in(client_a, viewer)
    assert client.get(f"/channels/{other.pk}/").status_code == 200
    assert client.get(f"/channels/{feed.pk}/").status_code == 404
    run = channel_fetch(channel_id=feed.pk)
    assert client.get(f"/channels/runs/{run.pk}/").status_code == 404
    listing = client.get("/channels/").content.decode()
    assert other.name in listing and feed.client.name not in listing


def test_client_viewer_cannot_fetch_now(feed, client_a):
    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=feed.client)
    response = _signed_in(client_a, viewer).post(f"/channels/{feed.pk}/fetch/")
    assert response.status_code == 404
    assert not FetchRun.objects.exists()


def test_channel_of_agency_a_is_404_at_agency_b(feed, client_b):
    client_b.post("/accounts/login/", {"username": "owner@beta.test", "password": PASSWORD})
    assert client_b.get(f"/channels/{feed.pk}/").status_code == 404
    assert client_b.post(f"/channels/{feed.pk}/fetch/").status_code == 404


def test_channel_pages_require_sign_in(feed, client_a):
    response = client_a.get(f"/channels/{feed.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

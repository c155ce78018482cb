"""Channels from the browser: "Add channel" with a form per platform built from the connector's
description, "Test connection" (a dry fetch that stores nothing), then create; edit, pause,
resume, remove (mentions kept or deleted) and a new webhook signing secret."""

from __future__ import annotations

import re

import pytest

from apps.channels.connectors import PLATFORMS, describe
from apps.channels.models import Channel, FetchRun
from apps.channels.services import channel_fetch
from apps.listening.models import Mention
from tests.accounts.factories import UserFactory
from tests.clients.factories import ClientFactory

from .factories import make_channel, make_channel_with_secret
from .fakeplatform import Canned, fixture, json_response

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture
def manager(in_agency_a, client_a):
    client_a.force_login(UserFactory(role="manager"))
    return client_a


def _error(body: str, field: str) -> str:
    return re.search(rf'id="id_{field}_error" class="field-error">([^<]*)<', body).group(1)


def test_every_platform_has_a_form_built_from_its_connectors_description(manager):
    page = manager.get("/channels/new/").content.decode()
    for platform in PLATFORMS:
        assert f"?platform={platform}" in page
        form = manager.get(f"/channels/new/?platform={platform}").content.decode()
        description = describe(platform)
        for where, fields in (
            ("config", description.config),
            ("credentials", description.credentials),
        ):
            for field in fields:
                assert f'name="{where}_{field.key}"' in form, (platform, field.key)
        assert ("Test connection" in form) is description.fetches


def test_test_connection_shows_the_first_items_and_stores_nothing(manager, platform_server):
    platform_server.route(
        "GET", "/feed.xml", Canned(200, fixture("rss/brew_notes_rss20.xml"), RSS_TYPE)
    )
    client = ClientFactory()
    form = {
        "platform": "rss",
        "client": client.pk,
        "name": "Brew notes",
        "fetch_interval_minutes": "15",
        "config_url": f"{platform_server.url}/feed.xml",
    }
    response = manager.post("/channels/new/", {**form, "action": "test"})
    body = response.content.decode()
    assert response.status_code == 200 and "Connected: the first" in body
    assert body.count("<li><strong>") >= 1
    assert not Channel.objects.exists() and not Mention.objects.exists()

    response = manager.post("/channels/new/", {**form, "action": "save"})
    channel = Channel.objects.get(name="Brew notes")
    assert response["Location"] == f"/channels/{channel.pk}/"
    assert channel.config == {"url": f"{platform_server.url}/feed.xml"}
    run = FetchRun.objects.get(channel=channel)  # the first fetch is queued at once
    channel_fetch(channel_id=channel.pk, run_id=run.pk)
    assert Mention.objects.filter(channel=channel).exists()


def test_a_hostile_url_is_refused_next_to_the_field_keeping_the_input(manager, settings):
    settings.RAPPORT_ALLOW_LOOPBACK_URLS = False
    client = ClientFactory()
    hostile = "http://169.254.169.254/latest/meta-data/"
    for action in ("test", "save"):
        response = manager.post(
            "/channels/new/",
            {
                "platform": "rss",
                "client": client.pk,
                "name": "Sneaky",
                "action": action,
                "fetch_interval_minutes": "15",
                "config_url": hostile,
            },
        )
        body = response.content.decode()
        assert response.status_code == 400
        assert _error(body, "config_url").strip()
        assert f'value="{hostile}"' in body and 'value="Sneaky"' in body
    assert not Channel.objects.exists()


def test_a_wrong_token_is_reported_by_test_connection(manager, platform_server):
    platform_server.route(
        "GET", "/api/v1/notifications", json_response("mastodon/error_invalid_token.json", 401)
    )
    client = ClientFactory()
    response = manager.post(
        "/channels/new/",
        {
            "platform": "mastodon",
            "client": client.pk,
            "name": "Toots",
            "action": "test",
            "fetch_interval_minutes": "15",
            "config_base_url": platform_server.url,
            "config_mode": "mentions",
            "credentials_access_token": "wrong",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    alert = re.search(r'<p class="error" role="alert">([^<]*)<', body).group(1)
    assert alert.startswith("Mastodon answered:") and "401" in alert
    assert 'value="wrong"' in body  # kept, to be corrected
    assert not Channel.objects.exists()


def test_missing_settings_are_named_by_the_same_rules_as_the_api(manager):
    client = ClientFactory()
    response = manager.post(
        "/channels/new/",
        {
            "platform": "reddit",
            "client": client.pk,
            "name": "R",
            "action": "save",
            "fetch_interval_minutes": "15",
        },
    )
    assert response.status_code == 400
    assert "Subreddit or Search" in _error(response.content.decode(), "config_subreddit")


def test_edit_pause_resume(manager, platform_server):
    channel = make_channel(config={"url": f"{platform_server.url}/feed.xml"})
    response = manager.post(
        f"/channels/{channel.pk}/edit/",
        {
            "platform": "rss",
            "name": "Renamed",
            "fetch_interval_minutes": "30",
            "action": "save",
            "config_url": f"{platform_server.url}/other.xml",
        },
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.fetch_interval_minutes) == ("Renamed", 30)
    assert channel.config["url"].endswith("/other.xml")
    manager.post(f"/channels/{channel.pk}/pause/")
    channel.refresh_from_db()
    assert channel.health == "paused"
    manager.post(f"/channels/{channel.pk}/resume/")
    channel.refresh_from_db()
    assert channel.health == "ok" and channel.next_fetch_at is not None


def test_editing_keeps_stored_credentials_unless_new_ones_are_typed(manager, platform_server):
    channel = make_channel(
        platform="mastodon",
        config={"base_url": platform_server.url},
        credentials={"access_token": "secret-1"},
    )
    form = {
        "platform": "mastodon",
        "name": "M",
        "fetch_interval_minutes": "15",
        "action": "save",
        "config_base_url": platform_server.url,
        "config_mode": "mentions",
    }
    assert manager.post(f"/channels/{channel.pk}/edit/", form).status_code == 302
    channel.refresh_from_db()
    assert channel.credentials == {"access_token": "secret-1"}
    assert "secret-1" not in manager.get(f"/channels/{channel.pk}/edit/").content.decode()


def test_remove_asks_whether_to_keep_the_mentions(manager, platform_server):
    platform_server.route(
        "GET", "/feed.xml", Canned(200, fixture("rss/brew_notes_rss20.xml"), RSS_TYPE)
    )
    kept = make_channel(config={"url": f"{platform_server.url}/feed.xml"})
    gone = make_channel(config={"url": f"{platform_server.url}/feed.xml"}, client=kept.client)
    channel_fetch(channel_id=kept.pk)
    channel_fetch(channel_id=gone.pk)
    assert "Keep them" in manager.get(f"/channels/{kept.pk}/remove/").content.decode()
    assert manager.post(f"/channels/{kept.pk}/remove/", {}).status_code == 400

    manager.post(f"/channels/{kept.pk}/remove/", {"keep_mentions": "1"})
    kept.refresh_from_db()
    assert kept.disconnected_at and kept.health == "paused" and kept.credentials == {}
    assert Mention.objects.filter(channel=kept).exists()
    assert manager.post(f"/channels/{kept.pk}/resume/").status_code == 302
    kept.refresh_from_db()
    assert kept.health == "paused"  # a removed channel is never fetched again

    manager.post(f"/channels/{gone.pk}/remove/", {"keep_mentions": "0"})
    assert not Channel.objects.filter(pk=gone.pk).exists()
    assert not Mention.objects.filter(channel_id=gone.pk).exists()


def test_a_webhook_channel_shows_its_secret_once_and_rotates_it(manager):
    client = ClientFactory()
    response = manager.post(
        "/channels/new/",
        {"platform": "webhook", "client": client.pk, "name": "Zendesk", "action": "save"},
    )
    channel = Channel.objects.get(name="Zendesk")
    first = re.search(r'id="webhook-secret">([^<]+)<', response.content.decode()).group(1)
    assert channel.webhook_secret == first
    assert first not in manager.get(f"/channels/{channel.pk}/").content.decode()
    rotated = manager.post(f"/channels/{channel.pk}/rotate-secret/").content.decode()
    second = re.search(r'id="webhook-secret">([^<]+)<', rotated).group(1)
    channel.refresh_from_db()
    assert second != first and channel.webhook_secret == second


def test_people_who_do_not_manage_find_none_of_it(in_agency_a, client_a):
    channel = make_channel_with_secret(platform="webhook", config={}).channel
    secret = channel.webhook_secret
    for role in ("responder", "client_viewer", "team_member"):
        client_a.force_login(UserFactory(role=role))
        assert client_a.get("/channels/new/").status_code == 404
        for action in ("pause", "remove", "rotate-secret", "edit"):
            assert client_a.post(f"/channels/{channel.pk}/{action}/").status_code == 404
    channel.refresh_from_db()
    assert channel.health == "ok" and channel.webhook_secret == secret

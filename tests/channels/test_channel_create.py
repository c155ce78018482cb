"""Creating a channel: required settings, SSRF-checked URLs and secrets encrypted at rest."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from apps.channels.models import Channel
from apps.channels.services import channel_create
from tests.clients.factories import ClientFactory

from .factories import make_channel


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed.xml",
        "http://localhost:8000/feed.xml",
        "http://10.0.0.1/feed.xml",
        "http://192.168.1.20/feed.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/feed.xml",
        "file:///etc/passwd",
    ],
)
def test_feed_url_to_internal_address_is_refused_when_loopback_not_allowed(
    in_agency_a, settings, url
):
    settings.RAPPORT_ALLOW_LOOPBACK_URLS = False
    with pytest.raises(ValidationError) as raised:
        channel_create(client=ClientFactory(), platform="rss", name="Feed", config={"url": url})
    assert "config.url" in raised.value.message_dict
    assert not Channel.objects.exists()


def test_mastodon_base_url_is_ssrf_checked_too(in_agency_a, settings):
    settings.RAPPORT_ALLOW_LOOPBACK_URLS = False
    with pytest.raises(ValidationError) as raised:
        channel_create(
            client=ClientFactory(), platform="mastodon", name="M",
            config={"base_url": "http://10.1.2.3"}, credentials={"access_token": "t"},
        )  # fmt: skip
    assert "config.base_url" in raised.value.message_dict


def test_loopback_feed_is_accepted_when_allowed(in_agency_a, settings):
    settings.RAPPORT_ALLOW_LOOPBACK_URLS = True
    channel = make_channel(platform="rss", config={"url": "http://127.0.0.1:8765/rss/x.xml"})
    assert channel.pk


@pytest.mark.parametrize(
    ("platform", "config", "credentials", "missing"),
    [
        ("rss", {}, {}, "config.url"),
        ("mastodon", {"base_url": "http://127.0.0.1:1"}, {}, "credentials.access_token"),
        ("reddit", {}, {}, "config.subreddit"),
        ("bluesky", {}, {}, "config.query"),
        ("youtube", {"video_id": "v"}, {}, "credentials.api_key"),
        ("facebook_page", {}, {"access_token": "t"}, "config.page_id"),
        ("instagram", {"ig_user_id": "1"}, {}, "credentials.access_token"),
        ("tiktok", {}, {}, "platform"),
    ],
)
def test_missing_settings_are_reported_by_field(
    in_agency_a, platform, config, credentials, missing
):
    with pytest.raises(ValidationError) as raised:
        channel_create(
            client=ClientFactory(), platform=platform, name="X", config=config,
            credentials=credentials,
        )  # fmt: skip
    assert missing in raised.value.message_dict


def test_credentials_are_encrypted_at_rest_and_readable_by_the_app(in_agency_a):
    channel = make_channel(
        platform="mastodon",
        config={"base_url": "http://127.0.0.1:1", "mode": "mentions"},
        credentials={"access_token": "very-secret-token"},
    )
    stored = Channel.objects.values_list("credentials_encrypted", flat=True).get(pk=channel.pk)
    assert "very-secret-token" not in stored
    assert Channel.objects.get(pk=channel.pk).credentials == {"access_token": "very-secret-token"}


def test_key_rotation_re_encrypts_with_the_newest_key(in_agency_a, settings):
    old_key = settings.RAPPORT_ENCRYPTION_KEYS[0]
    channel = make_channel(
        platform="mastodon", config={"base_url": "http://127.0.0.1:1"},
        credentials={"access_token": "rotate-me"},
    )  # fmt: skip
    new_key = Fernet.generate_key().decode()
    settings.RAPPORT_ENCRYPTION_KEYS = [new_key, old_key]

    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)

    assert "alpha: 1 channels re-encrypted" in out.getvalue()
    stored = Channel.objects.get(pk=channel.pk).credentials_encrypted
    assert Fernet(new_key.encode()).decrypt(stored.encode()) == b'{"access_token": "rotate-me"}'
    settings.RAPPORT_ENCRYPTION_KEYS = [new_key]  # the old key can now be dropped
    assert Channel.objects.get(pk=channel.pk).credentials == {"access_token": "rotate-me"}


def test_rotation_without_the_old_key_fails_clearly_and_changes_nothing(in_agency_a, settings):
    channel = make_channel(
        platform="mastodon", config={"base_url": "http://127.0.0.1:1"},
        credentials={"access_token": "keep-me"},
    )  # fmt: skip
    before = Channel.objects.get(pk=channel.pk).credentials_encrypted
    settings.RAPPORT_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="Keep every old key"):
        call_command("rotate_encryption_keys", stdout=StringIO())
    assert Channel.objects.get(pk=channel.pk).credentials_encrypted == before

"""``POST /hooks/<channel-token>/``: signed pushes are stored once; anything else stores nothing."""

from __future__ import annotations

import json
import time

import pytest

from apps.channels.connectors.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    signed_headers,
)
from apps.channels.models import FetchRun
from apps.listening.models import Mention

from .factories import make_channel_with_secret
from .fakeplatform import fixture


@pytest.fixture
def webhook(in_agency_a):
    return make_channel_with_secret(platform="webhook", config={})


def _signed(webhook, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The headers an integrator sends: the timestamp and the signature of it with the body."""
    return signed_headers(webhook.webhook_secret, body, now=now)


def _post(client, channel, body: bytes, headers: dict[str, str | None]):
    meta = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in headers.items()
        if value is not None
    }
    return client.post(
        f"/hooks/{channel.webhook_token}/", body, content_type="application/json", **meta
    )


def test_signed_push_stores_mentions_and_is_idempotent(webhook, client_a):
    body = fixture("webhook/payload_valid.json")
    offered = {m["external_id"] for m in json.loads(body)["mentions"]}
    headers = _signed(webhook, body)

    first = _post(client_a, webhook.channel, body, headers)
    again = _post(client_a, webhook.channel, body, headers)

    assert first.status_code == 200
    assert first.json() == {"received": len(offered), "created": len(offered), "duplicates": 0}
    assert again.json() == {"received": len(offered), "created": 0, "duplicates": len(offered)}
    stored = Mention.objects.filter(channel=webhook.channel)
    assert set(stored.values_list("external_id", flat=True)) == offered
    assert FetchRun.objects.filter(channel=webhook.channel, trigger="push").count() == 2


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "md5=abc", "garbage"])
def test_bad_signature_is_401_and_stores_nothing(webhook, client_a, signature):
    headers = {TIMESTAMP_HEADER: str(int(time.time())), SIGNATURE_HEADER: signature}
    response = _post(client_a, webhook.channel, fixture("webhook/payload_valid.json"), headers)
    assert response.status_code == 401
    assert "signature" in response.json()["errors"]
    assert not Mention.objects.exists()


def test_invalid_body_is_400_with_field_errors_and_stores_nothing(webhook, client_a):
    body = fixture("webhook/payload_invalid.json")
    response = _post(client_a, webhook.channel, body, _signed(webhook, body))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors and all(key.startswith("mentions") for key in errors)
    assert not Mention.objects.exists()


def test_body_that_is_not_json_is_400(webhook, client_a):
    body = b"{not json"
    response = _post(client_a, webhook.channel, body, _signed(webhook, body))
    assert response.status_code == 400 and "body" in response.json()["errors"]


def test_unknown_token_is_404(in_agency_a, client_a):
    response = client_a.post("/hooks/nope/", b"{}", content_type="application/json")
    assert response.status_code == 404


def test_webhook_token_of_agency_a_is_unknown_at_agency_b(webhook, client_b):
    body = fixture("webhook/payload_valid.json")
    response = _post(client_b, webhook.channel, body, _signed(webhook, body))
    assert response.status_code == 404
    assert not Mention.objects.exists()


def test_webhook_secret_is_encrypted_at_rest(webhook):
    stored = webhook.channel.webhook_secret_encrypted
    assert webhook.webhook_secret and webhook.webhook_secret not in stored


def _push(text: str = '"Thanks!"', posted_at: str = '"2026-11-25T10:00:00Z"') -> bytes:
    mention = f'"external_id": "bad", "text": {text}, "posted_at": {posted_at}'
    return ('{"mentions": [{' + mention + ', "author": {"handle": "ana"}}]}').encode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_push(text='"Thanks \\ud800"'), "mentions[0].text"),
        (_push(text='"Thanks \\u0000"'), "mentions[0].text"),
        (_push(posted_at='"0001-01-01T00:00:00+14:00"'), "mentions[0].posted_at"),
        (_push(posted_at='"2026-01-01T00:00:00+23:59"'), "mentions[0].posted_at"),
        (b"[" * 100_000, "body"),
    ],
    ids=["lone-surrogate", "nul", "before-year-1", "offset-out-of-range", "deep-nesting"],
)
def test_a_body_the_database_would_refuse_is_400_naming_the_field(webhook, client_a, body, field):
    response = _post(client_a, webhook.channel, body, _signed(webhook, body))
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Mention.objects.exists()


@pytest.mark.parametrize("age", [302, -302, 3600])
def test_a_push_signed_more_than_five_minutes_away_is_401_and_stores_nothing(
    webhook, client_a, age
):
    body = fixture("webhook/payload_valid.json")
    headers = _signed(webhook, body, now=time.time() - age)
    response = _post(client_a, webhook.channel, body, headers)
    assert response.status_code == 401
    assert "5 minutes" in response.json()["errors"]["signature"]
    assert not Mention.objects.exists()


def test_a_body_only_signature_or_one_without_timestamp_is_401(webhook, client_a):
    body = fixture("webhook/payload_valid.json")
    now = int(time.time())
    for headers in (
        {SIGNATURE_HEADER: sign(webhook.webhook_secret, body, now)},  # no timestamp
        {TIMESTAMP_HEADER: str(now + 1), SIGNATURE_HEADER: sign(webhook.webhook_secret, body, now)},
    ):
        assert _post(client_a, webhook.channel, body, headers).status_code == 401
    assert not Mention.objects.exists()

"""Inbound webhook payload validation (SPEC §10) and HMAC signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from apps.channels.connectors import webhook
from apps.channels.connectors.base import FetchNotSupported, ReplyNotSupported
from apps.channels.connectors.webhook import (
    PayloadError,
    parse_payload,
    sign,
    signature_problem,
    signed_headers,
    verify,
)

from .fakeplatform import FakeChannel, fixture, fixture_json


def one(**overrides) -> dict:
    mention = {
        "external_id": "m-1",
        "text": "Thanks for the quick fix!",
        "posted_at": "2026-11-24T09:30:00Z",
        "author": {"handle": "ana"},
    }
    return {"mentions": [{**mention, **overrides}]}


def test_valid_payload_is_parsed_into_mentions() -> None:
    review, message = parse_payload(fixture_json("webhook/payload_valid.json"))

    assert review.external_id == "tp-review-88121"
    assert review.text == "Friendly support, replaced my cracked mug for free."
    assert review.url == "https://reviews.example/northwind/r/88121"
    assert review.posted_at == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert review.kind == "review"
    assert review.rating == 5
    assert review.author.handle == "joe_p"
    assert review.author.display_name == "Joe Parker"
    assert review.author.followers == 120
    assert review.author.profile_url == "https://reviews.example/u/joe_p"

    assert message.kind == "message"
    assert message.posted_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert message.posted_at.utcoffset() == timedelta(hours=1)  # the sender's offset is kept
    assert (message.url, message.parent_external_id, message.rating) == ("", "", None)
    assert message.author.followers is None


def test_invalid_payload_reports_every_field_error_by_path() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_payload(fixture_json("webhook/payload_invalid.json"))
    errors = caught.value.errors
    assert set(errors) == {
        "mentions[1].external_id",
        "mentions[1].text",
        "mentions[1].url",
        "mentions[1].posted_at",
        "mentions[1].kind",
        "mentions[1].rating",
        "mentions[1].author.handle",
        "mentions[1].author.followers",
        "mentions[1].author.profile_url",
        "mentions[2].posted_at",
        "mentions[2].author.followers",
        "mentions[3]",
    }
    assert errors["mentions[1].external_id"] == "is required"
    assert errors["mentions[1].text"] == "must be a string"
    assert "ISO 8601" in errors["mentions[1].posted_at"]
    assert "ISO 8601" in errors["mentions[2].posted_at"]  # no offset
    assert errors["mentions[1].kind"] == "must be one of post, comment, reply, review, message"
    assert errors["mentions[1].rating"] == "must be a number from 0 to 5"
    assert errors["mentions[2].author.followers"] == "must be a whole number ≥ 0"
    assert errors["mentions[3]"] == "must be an object"
    assert "12 errors" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ([], "body"),
        ({}, "mentions"),
        ({"mentions": []}, "mentions"),
        ({"mentions": {"external_id": "x"}}, "mentions"),
        ({"mentions": [{"external_id": "x"}] * 1001}, "mentions"),
    ],
)
def test_payload_without_a_mentions_list_is_refused(body, key) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_payload(body)
    assert list(caught.value.errors) == [key]


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"author": None}, "mentions[0].author.handle"),
        ({"author": "ana"}, "mentions[0].author"),
        (
            {"posted_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()},
            "mentions[0].posted_at",
        ),
        ({"posted_at": 1795514400}, "mentions[0].posted_at"),
        ({"external_id": "x" * 256}, "mentions[0].external_id"),
        ({"text": ""}, "mentions[0].text"),
        ({"rating": True}, "mentions[0].rating"),
        ({"url": "https://"}, "mentions[0].url"),
    ],
)
def test_invalid_fields_are_refused(overrides, key) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_payload(one(**overrides))
    assert key in caught.value.errors


def test_review_may_have_a_rating_and_no_text() -> None:
    (mention,) = parse_payload(one(text="", kind="review", rating=4.5))
    assert (mention.text, mention.rating) == ("", 4.5)


def test_kind_defaults_to_post() -> None:
    assert parse_payload(one())[0].kind == "post"


NOW = 1_796_000_000  # Unix seconds


def test_sign_returns_sha256_hex_hmac_of_the_timestamp_and_body() -> None:
    body = fixture("webhook/payload_valid.json")
    expected = hmac.new(b"whsec_northwind", b"%d." % NOW + body, hashlib.sha256).hexdigest()
    assert sign("whsec_northwind", body, NOW) == f"sha256={expected}"
    assert sign(b"whsec_northwind", body, str(NOW)) == f"sha256={expected}"
    headers = signed_headers("whsec_northwind", body, now=NOW + 0.7)
    assert headers == {"X-Rapport-Timestamp": str(NOW), "X-Rapport-Signature": f"sha256={expected}"}


def test_verify_accepts_the_matching_signature_within_five_minutes() -> None:
    body = b'{"mentions": []}'
    signature = sign("s3cret", body, NOW)
    assert verify("s3cret", body, signature, str(NOW), now=NOW)
    assert verify("s3cret", body, signature, str(NOW), now=NOW + 300)
    assert verify("s3cret", body, signature, str(NOW), now=NOW - 300)
    assert verify(
        b"s3cret", body, "  " + signature.upper().replace("SHA256=", "sha256=") + " ",
        f" {NOW} ", now=NOW,
    )  # fmt: skip


@pytest.mark.parametrize("moment", [NOW + 301, NOW - 301, NOW + 86_400 * 365])
def test_verify_refuses_a_timestamp_more_than_five_minutes_away(moment) -> None:
    body = b'{"mentions": []}'
    signature = sign("s3cret", body, NOW)
    assert verify("s3cret", body, signature, str(NOW), now=moment) is False
    assert "5 minutes" in signature_problem("s3cret", body, signature, str(NOW), now=moment)


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha256=deadbeef", "md5=abc", "sha256=ünïcode", "garbage"],
)
def test_verify_rejects_missing_or_wrong_signatures(header) -> None:
    assert verify("s3cret", b'{"mentions": []}', header, str(NOW), now=NOW) is False


@pytest.mark.parametrize("timestamp", [None, "", "soon", "-5", "1.5e9", "١٧٩٦٠٠٠٠٠٠"])
def test_verify_rejects_missing_or_malformed_timestamps(timestamp) -> None:
    body = b'{"mentions": []}'
    assert verify("s3cret", body, sign("s3cret", body, NOW), timestamp, now=NOW) is False


def test_verify_rejects_a_signature_made_with_another_secret_body_or_timestamp() -> None:
    body = b'{"mentions": []}'
    assert verify("s3cret", body, sign("other", body, NOW), str(NOW), now=NOW) is False
    assert verify("s3cret", body + b" ", sign("s3cret", body, NOW), str(NOW), now=NOW) is False
    # The old body-only signature, or one replayed under a fresh timestamp, does not verify.
    old = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert verify("s3cret", body, old, str(NOW), now=NOW) is False
    assert verify("s3cret", body, sign("s3cret", body, NOW - 600), str(NOW), now=NOW) is False


def test_webhook_channels_cannot_be_fetched_or_replied_to() -> None:
    channel = FakeChannel("webhook")
    with pytest.raises(FetchNotSupported, match="push-only"):
        webhook.fetch(channel, None)
    with pytest.raises(ReplyNotSupported):
        webhook.reply(channel, "x", "hi")

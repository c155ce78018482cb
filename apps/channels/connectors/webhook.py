"""Inbound webhook channels: validate the pushed body (SPEC §10) and sign/verify its HMAC.

Nothing is fetched: integrators ``POST /hooks/<channel-token>/`` with ``X-Rapport-Timestamp``
(Unix seconds) and ``X-Rapport-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{raw body}">``;
a timestamp more than 5 minutes from now is refused, so a captured push cannot be replayed.
Outbound deliveries (``apps.webhooks``) are signed the same way. ``build_mention`` is the field
validation shared with CSV imports.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from apps.core.validation import moment_refusal, text_refusal

from .base import (
    MENTION_KINDS,
    AuthorData,
    ChannelLike,
    FetchNotSupported,
    FetchPage,
    MentionData,
    PlatformDescription,
    ReplyNotSupported,
    ReplyResult,
)

DESCRIPTION = PlatformDescription(label="Webhook (pushed to Rapport)", fetches=False)

SIGNATURE_HEADER = "X-Rapport-Signature"
TIMESTAMP_HEADER = "X-Rapport-Timestamp"
TIMESTAMP_TOLERANCE_SECONDS = 300  # older or newer than this: refused (a replay, or bad clock)
MAX_MENTIONS = 1000
MAX_ID_LENGTH = 255
MAX_TEXT_LENGTH = 40_000
MAX_URL_LENGTH = 2048
MAX_RATING = 5
FUTURE_TOLERANCE = timedelta(days=1)
# Field names as ``build_mention`` receives them (author fields dotted).
FIELDS = (
    "external_id",
    "text",
    "url",
    "posted_at",
    "kind",
    "parent_external_id",
    "rating",
    "author.handle",
    "author.display_name",
    "author.followers",
    "author.profile_url",
)


class PayloadError(ValueError):
    """The body is not a valid payload; ``errors`` maps e.g. ``mentions[2].posted_at`` → message."""

    def __init__(self, errors: dict[str, str]):
        shown = "; ".join(f"{key}: {message}" for key, message in list(errors.items())[:5])
        super().__init__(f"invalid webhook payload ({len(errors)} errors): {shown}")
        self.errors = errors


def fetch(channel: ChannelLike, cursor: dict[str, Any] | None) -> FetchPage:
    raise FetchNotSupported(
        "webhook channels are push-only: mentions arrive at POST /hooks/<token>/"
    )


def reply(channel: ChannelLike, mention_external_id: str, text: str) -> ReplyResult:
    raise ReplyNotSupported("webhook channels cannot post replies: answer on the source platform")


def sign(secret: bytes | str, body: bytes, timestamp: int | str) -> str:
    """The ``X-Rapport-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds):
    ``sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">``."""
    key = secret.encode() if isinstance(secret, str) else secret
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_headers(secret: bytes | str, body: bytes, *, now: float | None = None) -> dict:
    """``X-Rapport-Timestamp`` and ``X-Rapport-Signature`` for sending ``body`` now."""
    timestamp = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, body, timestamp)}


def signature_problem(
    secret: bytes | str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    now: float | None = None,
) -> str:
    """Why ``signature`` and ``timestamp`` do not authenticate ``body`` (empty if they do):
    missing, not Unix seconds, more than ``TIMESTAMP_TOLERANCE_SECONDS`` from now, or not the
    HMAC (compared in constant time)."""
    if not signature or not timestamp:
        return f"Missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER}."
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return f"{TIMESTAMP_HEADER} must be Unix seconds."
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
        return f"{TIMESTAMP_HEADER} is more than 5 minutes from now: sign each request afresh."
    given = signature.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(sign(secret, body, timestamp).encode(), given):
        return f"Invalid {SIGNATURE_HEADER}."
    return ""


def verify(
    secret: bytes | str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    now: float | None = None,
) -> bool:
    """Whether ``signature`` and ``timestamp`` authenticate ``body`` (see ``signature_problem``)."""
    return not signature_problem(secret, body, signature, timestamp, now=now)


def parse_payload(data: Any) -> list[MentionData]:
    """``{"mentions": [...]}`` → mentions, or ``PayloadError`` listing every invalid field."""
    if not isinstance(data, Mapping):
        raise PayloadError({"body": "must be a JSON object with a 'mentions' list"})
    mentions = data.get("mentions")
    if not isinstance(mentions, list) or not mentions:
        raise PayloadError({"mentions": "must be a non-empty list"})
    if len(mentions) > MAX_MENTIONS:
        raise PayloadError({"mentions": f"must hold at most {MAX_MENTIONS} mentions per request"})
    results: list[MentionData] = []
    errors: dict[str, str] = {}
    for index, item in enumerate(mentions):
        prefix = f"mentions[{index}]"
        if not isinstance(item, Mapping):
            errors[prefix] = "must be an object"
            continue
        author = item.get("author")
        if author is not None and not isinstance(author, Mapping):
            errors[f"{prefix}.author"] = "must be an object"
            continue
        values = {name: item.get(name) for name in FIELDS if "." not in name}
        values |= {
            f"author.{key}": (author or {}).get(key)
            for key in ("handle", "display_name", "followers", "profile_url")
        }
        mention, field_errors = build_mention(values)
        errors |= {f"{prefix}.{name}": message for name, message in field_errors.items()}
        if mention:
            results.append(mention)
    if errors:
        raise PayloadError(errors)
    return results


def build_mention(values: Mapping[str, Any]) -> tuple[MentionData | None, dict[str, str]]:
    """Validate one mention's ``FIELDS`` (JSON values or CSV strings; blank means absent)."""
    errors: dict[str, str] = {}

    def text_value(name: str, *, required: bool = False, limit: int = MAX_ID_LENGTH) -> str:
        value = values.get(name)
        if value is None or value == "":
            if required:
                errors[name] = "is required"
            return ""
        if not isinstance(value, str):
            errors[name] = "must be a string"
        elif len(value) > limit:
            errors[name] = f"must be at most {limit} characters"
        elif refusal := text_refusal(value):
            errors[name] = refusal
        return value if isinstance(value, str) else ""

    def url_value(name: str) -> str:
        value = text_value(name, limit=MAX_URL_LENGTH)
        parts = urlsplit(value)
        if (
            value
            and name not in errors
            and (parts.scheme not in ("http", "https") or not parts.netloc)
        ):
            errors[name] = "must be an http(s) URL"
        return value

    external_id = text_value("external_id", required=True)
    text = text_value("text", limit=MAX_TEXT_LENGTH)
    url = url_value("url")
    posted_at = _posted_at(values.get("posted_at"), errors)
    kind = text_value("kind") or "post"
    if "kind" not in errors and kind not in MENTION_KINDS:
        errors["kind"] = f"must be one of {', '.join(MENTION_KINDS)}"
    parent = text_value("parent_external_id")
    rating = _number(values.get("rating"), "rating", errors, maximum=MAX_RATING)
    if not text and rating is None and "text" not in errors:
        errors["text"] = "is required (it may be empty only for a review with a rating)"
    handle = text_value("author.handle", required=True)
    display_name = text_value("author.display_name")
    followers = _number(values.get("author.followers"), "author.followers", errors, integer=True)
    profile_url = url_value("author.profile_url")
    if errors or posted_at is None:
        return None, errors
    return (
        MentionData(
            external_id=external_id,
            text=text,
            posted_at=posted_at,
            author=AuthorData(
                handle=handle,
                display_name=display_name,
                followers=None if followers is None else int(followers),
                profile_url=profile_url,
            ),
            kind=kind,
            url=url,
            parent_external_id=parent,
            rating=rating,
        ),
        {},
    )


def _posted_at(value: Any, errors: dict[str, str]) -> datetime | None:
    if value is None or value == "":
        errors["posted_at"] = "is required"
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        errors["posted_at"] = (
            "must be an ISO 8601 timestamp with an offset, e.g. 2024-05-01T09:30:00Z"
        )
        return None
    if refusal := moment_refusal(moment):
        errors["posted_at"] = refusal
        return None
    if moment > datetime.now(UTC) + FUTURE_TOLERANCE:
        errors["posted_at"] = "is in the future"
        return None
    return moment


def _number(
    value: Any,
    name: str,
    errors: dict[str, str],
    *,
    integer: bool = False,
    maximum: float | None = None,
) -> float | None:
    """A number ≥ 0 (whole if ``integer``) from JSON or a CSV string; None when blank."""
    if value is None or value == "":
        return None
    expected = "a whole number ≥ 0" if integer else f"a number from 0 to {maximum}"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors[name] = f"must be {expected}"
        return None
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if (
        number != number  # NaN
        or number < 0
        or (maximum is not None and number > maximum)
        or (integer and not number.is_integer())
    ):
        errors[name] = f"must be {expected}"
        return None
    return number

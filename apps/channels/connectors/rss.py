"""RSS 2.0 and Atom feeds (blogs, review sites, forums), parsed with feedparser.

Config: ``url`` (required); optional ``kind`` to label every entry (e.g. ``review``). Entries with a
``rev:rating`` become reviews, entries with an Atom ``thr:in-reply-to`` become comments.
A feed is one document, so every fetch (the first included) reads all of it: ``backfill_pages``
does not apply. A document that stops early (a cut-off download) is refused, never half-read.
Cursor: ``{"etag": str, "modified": str, "seen": [16-hex hash of entry id, …]}`` — conditional-GET
validators plus the entries of the last document, which are not returned again.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.parsers.expat import errors as expat_errors
from xml.sax import SAXParseException

import feedparser

from . import http
from .base import (
    MENTION_KINDS,
    AuthorData,
    ChannelLike,
    ConfigurationError,
    FetchPage,
    MalformedResponse,
    MentionData,
    PlatformDescription,
    ReplyNotSupported,
    ReplyResult,
    SettingField,
)
from .common import config, html_to_text

PLATFORM = "rss"

DESCRIPTION = PlatformDescription(
    label="RSS or Atom feed",
    config=(
        SettingField(
            "url",
            "Feed address",
            help="An RSS 2.0 or Atom feed: a blog, review site or forum.",
            required=True,
            url=True,
        ),
    ),
)
MAX_SEEN = 500
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)
# XML errors meaning the document ends early: its last entry may be cut off (a title with no body
# or date), and once stored it would never be corrected, so such a document is refused whole.
TRUNCATED = frozenset(
    {
        expat_errors.XML_ERROR_NO_ELEMENTS,
        expat_errors.XML_ERROR_UNCLOSED_TOKEN,
        expat_errors.XML_ERROR_PARTIAL_CHAR,
        expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
    }
)


def fetch(channel: ChannelLike, cursor: dict[str, Any] | None) -> FetchPage:
    """Download the feed (conditionally) and return the entries not seen in the last document."""
    url = config(channel, "url", required=True)
    kind = config(channel, "kind")
    if kind is not None and kind not in MENTION_KINDS:
        raise ConfigurationError(f"rss channel config 'kind' must be one of {MENTION_KINDS}")
    cursor = cursor or {}
    headers = {"Accept": ACCEPT}
    if cursor.get("etag"):
        headers["If-None-Match"] = cursor["etag"]
    if cursor.get("modified"):
        headers["If-Modified-Since"] = cursor["modified"]

    response = http.get_bytes(url, platform=PLATFORM, headers=headers)
    if response.status_code == 304:
        return FetchPage([], dict(cursor), has_more=False)
    # A BytesIO, never the bytes: feedparser treats a bare string as a URL or a local file path.
    feed = feedparser.parse(
        io.BytesIO(response.content),
        response_headers={
            "content-type": response.headers.get("content-type", "application/xml"),
            "content-location": response.url,
        },
    )
    entries = feed.entries
    error = feed.get("bozo_exception")
    if isinstance(error, SAXParseException) and error.getMessage() in TRUNCATED:
        raise MalformedResponse(
            f"rss: {http.safe_url(url)} is not a readable feed: the document ends early ({error})"
        )
    if feed.bozo:  # recovered by the lenient parser: keep only entries whole enough to name
        entries = [entry for entry in entries if entry.get("id") or entry.get("link")]
    if not feed.get("version") or (feed.bozo and not entries):
        reason = error or "no RSS or Atom document found"
        raise MalformedResponse(f"rss: {http.safe_url(url)} is not a readable feed: {reason}")

    seen = set(cursor.get("seen") or ())
    fetched_at = datetime.now(UTC)
    items, hashes = [], []
    for entry in entries:
        mention = _mention(entry, feed.feed, kind, url, fetched_at)
        if mention is None:  # nothing anybody said: no title, text, link or rating
            continue
        digest = hashlib.blake2b(mention.external_id.encode(), digest_size=8).hexdigest()
        hashes.append(digest)
        if digest not in seen:
            items.append(mention)
    next_cursor = {
        "etag": response.headers.get("etag"),
        "modified": response.headers.get("last-modified"),
        "seen": list(dict.fromkeys([*hashes, *cursor.get("seen", ())]))[:MAX_SEEN],
    }
    return FetchPage(items, {k: v for k, v in next_cursor.items() if v}, has_more=False)


def reply(channel: ChannelLike, mention_external_id: str, text: str) -> ReplyResult:
    raise ReplyNotSupported("rss feeds are read-only: reply on the site itself")


def _mention(
    entry: Any, feed: Any, kind: str | None, feed_url: str, fetched_at: datetime
) -> MentionData | None:
    """The entry as a mention, or None when it says nothing (no title, text, link or rating)."""
    title = (entry.get("title") or "").strip()
    body_html = (
        entry["content"][0].get("value", "") if entry.get("content") else entry.get("summary", "")
    )
    body = html_to_text(body_html or "")
    text = body if title and body.startswith(title) else "\n\n".join(p for p in (title, body) if p)
    link = entry.get("link") or ""
    rating = _rating(entry)
    if not (text or link or rating is not None):
        return None
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    posted_at = datetime(*moment[:6], tzinfo=UTC) if moment else fetched_at
    # RSS 2.0 allows items with neither guid nor link: who said it and when tell apart two
    # people's "Thanks!" (and one person's on two days). Without author and date, as before.
    said_by = str(entry.get("author") or (entry.get("author_detail") or {}).get("name") or "")
    said_at = datetime(*moment[:6], tzinfo=UTC).isoformat() if moment else ""
    identity = (said_by, said_at, title, body) if said_by or said_at else (title, body)
    external_id = entry.get("id") or link or _digest(*identity)
    in_reply_to = entry.get("thr_in-reply-to") or {}
    detail = entry.get("author_detail") or {}
    handle = (
        detail.get("name")
        or entry.get("author")
        or feed.get("title")
        or urlsplit(feed_url).hostname
    )
    return MentionData(
        external_id=external_id,
        text=text,
        posted_at=posted_at,
        author=AuthorData(
            handle=str(handle or "unknown"),
            display_name=str(detail.get("name") or entry.get("author") or ""),
            profile_url=str(detail.get("href") or ""),
        ),
        kind=kind or ("review" if rating is not None else "comment" if in_reply_to else "post"),
        url=link,
        parent_external_id=str(in_reply_to.get("ref") or ""),
        rating=rating,
        language=str(entry.get("title_detail", {}).get("language") or feed.get("language") or ""),
    )


def _rating(entry: Any) -> float | None:
    """A rating from an RDF Review ``rev:rating`` element (feedparser: ``<prefix>_rating``)."""
    for key, value in entry.items():
        if key.endswith("_rating") and key != "media_rating":
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def _digest(*parts: str) -> str:
    return "sha256:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

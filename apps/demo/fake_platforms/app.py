"""The WSGI application: ``FakePlatforms`` dispatches along ``ROUTES`` to one handler class per
platform; ``make_fake_server`` serves it."""

from __future__ import annotations

import heapq
import re
import socketserver
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .bluesky import Bluesky
from .graph import Graph
from .http import Answer, Request, RowsOf, _json
from .ids import Key, _at
from .mastodon import Mastodon
from .reddit import Reddit
from .rss import RssFeeds
from .world import HISTORY_MS, MINUTE_MS, SEED, SLOT_MS, STREAMS, Brand, Item, Stream, conversation
from .youtube import YouTube


class FakePlatforms(RssFeeds, Mastodon, Bluesky, Reddit, YouTube, Graph):
    """The WSGI application. ``clock`` gives the current time (tests freeze or advance it)."""

    def __init__(self, *, seed: str = SEED, clock: Callable[[], datetime] | None = None) -> None:
        self.seed = seed
        self.clock = clock or (lambda: datetime.now(UTC))
        self.replies: list[dict[str, Any]] = []  # every reply posted, oldest first
        self._posted: dict[int, Item] = {}
        self._idempotent: dict[str, Answer] = {}
        self._lock = threading.Lock()
        self._last_ms = 0
        self._apps: dict[str, dict[str, str]] = {}  # Mastodon OAuth apps by client_id

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        length = environ.get("CONTENT_LENGTH") or ""
        headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k[:5] == "HTTP_"
        }
        request = Request(
            method=environ["REQUEST_METHOD"].upper(),
            path=environ.get("PATH_INFO") or "/",
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            headers=headers | {"content-type": environ.get("CONTENT_TYPE", "")},
            body=environ["wsgi.input"].read(int(length)) if length.isdigit() else b"",
            root=f"{environ['wsgi.url_scheme']}://{host}",
        )
        status, headers, body = self.handle(request)
        length_header = ("Content-Length", str(len(body)))
        start_response(f"{status} {HTTPStatus(status).phrase}", [*headers.items(), length_header])
        return [body]

    def handle(self, request: Request) -> Answer:
        """Dispatch ``request`` along ``ROUTES``; a JSON 404 or 405 when nothing matches."""
        allowed = False
        for method, pattern, name in ROUTES:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                return getattr(self, name)(request, **match.groupdict())
            allowed = allowed or bool(match)
        return (
            _json({"error": "Method not allowed"}, 405)
            if allowed
            else _json({"error": "Not found"}, 404)
        )

    # -- the synthetic world ------------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self.clock().timestamp() * 1000)

    def scan(
        self,
        stream: Stream,
        rows_of: RowsOf,
        *,
        before: Key | None = None,
        after: Key | None = None,
        limit: int | None = None,
    ) -> list[Any]:
        """The newest ``limit`` rows with ``after < key < before`` (within 90 days), newest first.

        Walks the stream's slots back from ``before``; a conversation's rows are never later than
        its start plus the stream's spread, which says when older slots cannot matter any more.
        """
        stream_no, now = STREAMS.index(stream), self.now_ms()
        floor, spread = now - HISTORY_MS, (stream.spread + 1) * MINUTE_MS
        first = min(now, before[0] if before else now) // SLOT_MS
        last = (max(floor, after[0] if after else floor) - spread) // SLOT_MS
        found: list[tuple[Key, Any]] = []
        for slot in range(first, last - 1, -1):
            if limit and len(found) >= limit:
                kth = heapq.nlargest(limit, (key for key, _ in found))[-1]
                if (slot + 1) * SLOT_MS + spread < kth[0]:
                    break
            items = tuple(i for i in conversation(self.seed, stream_no, slot) if i.ms <= now)
            found += [
                (key, payload)
                for key, payload in (rows_of(items) if items else ())
                if key[0] >= floor and (not before or key < before) and (not after or key > after)
            ]
        found.sort(key=lambda row: row[0], reverse=True)
        return [payload for _, payload in found[:limit]]

    def find(self, code: int | None) -> Item | None:
        """The published item (or posted reply) with ``code``."""
        if not code or code in self._posted:
            return self._posted.get(code or 0)
        stream_no, ms, now = code >> 6 & 1023, code >> 16, self.now_ms()
        if stream_no >= len(STREAMS) or not now - HISTORY_MS <= ms <= now:
            return None
        spread = (STREAMS[stream_no].spread + 1) * MINUTE_MS
        for slot in range(ms // SLOT_MS, (ms - spread) // SLOT_MS - 1, -1):
            for item in conversation(self.seed, stream_no, slot):
                if item.code == code:
                    return item
        return None

    def thread(self, item: Item) -> dict[int, Item]:
        """The published items of ``item``'s conversation, by code."""
        now = self.now_ms()
        items = conversation(self.seed, item.stream, (item.topic >> 16) // SLOT_MS)
        return {i.code: i for i in items if i.ms <= now} | {item.code: item}

    def post(self, platform: str, brand: Brand, parent: Item | None, text: str) -> Item:
        """Record a reply the brand posted, under an id newer than anything served so far."""
        home = next(n for n, s in enumerate(STREAMS) if s.brand == brand.slug)
        stream_no = parent.stream if parent else home
        with self._lock:
            self._last_ms = ms = max(self.now_ms(), self._last_ms + 1)
            code = ms << 16 | stream_no << 6 | 63  # index 63 is never generated
            topic, parent_code = (parent.topic, parent.code) if parent else (code, 0)
            item = Item(code, ms, stream_no, topic, parent_code, None, "brand", 0, text)
            self._posted[code] = item
            reply = {"platform": platform, "brand": brand.slug, "id": str(code), "text": text}
            self.replies.append(reply | {"in_reply_to": str(parent_code or ""), "at": _at(ms)})
        return item

    def recorded(self, request: Request) -> Answer:
        """GET /_demo/replies: every reply posted since the server started."""
        with self._lock:
            return _json(list(self.replies))


ROUTES = [  # (method, path pattern, FakePlatforms handler); groups become keyword arguments
    (method, re.compile(pattern), name)
    for method, pattern, name in (
        ("GET", r"/_demo/replies", "recorded"),
        ("GET", r"/rss/(?P<feed>[\w-]+)\.xml", "rss"),
        ("GET", r"/mastodon/api/v1/notifications", "mastodon_notifications"),
        ("GET", r"/mastodon/api/v1/timelines/tag/(?P<tag>[^/]+)", "mastodon_tag"),
        ("GET", r"/mastodon/api/v2/search", "mastodon_search"),
        ("GET", r"/mastodon/api/v1/statuses/(?P<status_id>\d+)", "mastodon_status"),
        ("POST", r"/mastodon/api/v1/statuses", "mastodon_post_status"),
        ("POST", r"/mastodon/api/v1/apps", "mastodon_register_app"),
        ("GET", r"/mastodon/oauth/authorize", "mastodon_authorize"),
        ("POST", r"/mastodon/oauth/authorize", "mastodon_authorize"),
        ("POST", r"/mastodon/oauth/token", "mastodon_token"),
        ("GET", r"/bluesky/xrpc/app\.bsky\.feed\.searchPosts", "bluesky_search"),
        ("GET", r"/bluesky/xrpc/app\.bsky\.feed\.getAuthorFeed", "bluesky_author_feed"),
        ("GET", r"/bluesky/xrpc/app\.bsky\.feed\.getPosts", "bluesky_get_posts"),
        ("POST", r"/bluesky/xrpc/com\.atproto\.server\.createSession", "bluesky_create_session"),
        ("POST", r"/bluesky/xrpc/com\.atproto\.repo\.createRecord", "bluesky_create_record"),
        (
            "GET",
            r"/reddit(?:/r/(?P<subreddit>\w+))?/(?P<listing>new|comments|search)\.json",
            "reddit_listing",
        ),
        ("POST", r"/reddit/api/comment", "reddit_comment"),
        ("GET", r"/youtube/youtube/v3/commentThreads", "youtube_threads"),
        ("POST", r"/youtube/youtube/v3/comments", "youtube_insert_comment"),
        ("GET", r"/graph(?:/v[\d.]+)?/(?P<node>\d+)/(?P<edge>feed|media|comments)", "graph_get"),
        ("POST", r"/graph(?:/v[\d.]+)?/(?P<node>[\d_]+)/(?P<edge>comments|replies)", "graph_post"),
    )
]


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_fake_server(
    host: str = "127.0.0.1", port: int = 8765, app: FakePlatforms | None = None
) -> WSGIServer:
    """A threaded wsgiref server for ``app`` (port 0: any free port); call ``serve_forever``."""
    app = app or FakePlatforms()
    return make_server(
        host, port, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler
    )

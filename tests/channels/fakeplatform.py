"""A fake platform API for connector tests: a threaded HTTP server on 127.0.0.1.

Routes map (method, path) to canned responses served in sequence (the last one repeats); every
request is recorded (method, path, query, headers, body) for assertions. ``{{BASE_URL}}`` in a
canned body or header is replaced by the server's own URL.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"
PLACEHOLDER = "{{BASE_URL}}"


def fixture(name: str) -> bytes:
    """The bytes of ``tests/channels/fixtures/<name>``."""
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture(name))


@dataclass
class Canned:
    """One canned response. ``body`` may be bytes, str, or a JSON-serialisable dict/list."""

    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes

    def encoded(self, base_url: str) -> tuple[bytes, dict[str, str]]:
        headers = {k: v.replace(PLACEHOLDER, base_url) for k, v in self.headers.items()}
        body = self.body
        if isinstance(body, dict | list):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        if isinstance(body, str):
            body = body.encode()
        return body.replace(PLACEHOLDER.encode(), base_url.encode()), headers


def json_response(name_or_data: str | dict | list, status: int = 200, **headers: str) -> Canned:
    """A JSON response from a fixture file name (``"mastodon/status.json"``) or from data."""
    body = fixture(name_or_data) if isinstance(name_or_data, str) else name_or_data
    return Canned(status, body, {"Content-Type": "application/json; charset=utf-8", **headers})


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def param(self, name: str) -> str | None:
        """The (first) value of a query parameter."""
        return self.query.get(name, [None])[0]

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass(frozen=True)
class FakeChannel:
    """What connectors read from a channel: platform, config and decrypted credentials."""

    platform: str
    config: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, Any] = field(default_factory=dict)


class FakePlatform:
    """The server; use as a context manager or call ``start``/``stop``."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Canned]] = {}
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def route(self, method: str, path: str, *responses: Canned) -> None:
        """Serve ``responses`` in order to ``method path`` (any query string); the last repeats."""
        assert responses, "give at least one response"
        with self._lock:
            self.routes[(method.upper(), path)] = list(responses)

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    def start(self) -> FakePlatform:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                fake._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakePlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        recorded = RecordedRequest(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
        )
        with self._lock:
            self.requests.append(recorded)
            queue = self.routes.get((recorded.method, recorded.path))
            canned = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else None
        if canned is None:
            canned = json_response(
                {"error": f"no route for {recorded.method} {recorded.path}"}, 404
            )
        if canned.delay:
            time.sleep(canned.delay)
        body, headers = canned.encoded(self.url)
        try:
            handler.send_response(canned.status)
            for name, value in headers.items():
                handler.send_header(name, value)
            if canned.send_length:
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if recorded.method != "HEAD":
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (e.g. the size cap), which is the point of that test


@contextmanager
def running() -> Iterator[FakePlatform]:
    with FakePlatform() as server:
        yield server

"""HTTP plumbing: the parsed request, JSON answers and errors, and how listings are paged."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode
from xml.sax.saxutils import escape

from .ids import Key
from .world import Item

# -- HTTP plumbing ------------------------------------------------------------------------------

Answer = tuple[int, dict[str, str], bytes]
RowsOf = Callable[[tuple[Item, ...]], Iterable[tuple[Key, Any]]]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    root: str  # scheme://host:port

    def arg(self, name: str) -> str | None:
        return self.query.get(name, [None])[0]

    def limit(self, name: str, default: int, maximum: int) -> int:
        value = self.arg(name) or ""
        return max(1, min(int(value), maximum)) if value.isdigit() else default

    def data(self) -> dict[str, Any]:
        """The JSON or url-encoded form body."""
        if "json" not in self.headers.get("content-type", ""):
            return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}
        try:
            body = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    @property
    def bearer(self) -> str:
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""

    def url(self, **params: Any) -> str:
        """This request's URL with ``params`` replaced (a None value drops the parameter)."""
        query = {k: v for k, v in self.query.items() if k not in params}
        query |= {k: [str(v)] for k, v in params.items() if v is not None}
        return f"{self.root}{self.path}?{urlencode(query, doseq=True)}"


def _attr(text: str) -> str:
    """``text`` escaped for an HTML attribute value or element."""
    return escape(text, {'"': "&quot;"})


def _json(body: Any, status: int = 200, **headers: str) -> Answer:
    content = json.dumps(body, ensure_ascii=False).encode()
    return status, {"Content-Type": "application/json; charset=utf-8", **headers}, content


def _graph_error(message: str, code: int, status: int = 400) -> Answer:
    return _json({"error": {"message": message, "type": "OAuthException", "code": code}}, status)


def _youtube_error(status: int, message: str, reason: str) -> Answer:
    body = {"code": status, "message": message, "errors": [{"reason": reason}]}
    return _json({"error": body | {"details": [{"reason": reason}]}}, status)


DENIED: dict[str, Answer] = {  # each platform's documented answer to a missing or bad token
    "mastodon": _json({"error": "The access token is invalid"}, 401),
    "bluesky": _json({"error": "AuthenticationRequired", "message": "Invalid credentials"}, 401),
    "reddit": _json({"message": "Unauthorized", "error": 401}, 401),
    "youtube": _youtube_error(400, "API key not valid. Please pass a valid API key.", "keyInvalid"),
    "graph": _graph_error("Invalid OAuth access token - Cannot parse access token", 190),
}


def _flat(include: Callable[[Item], bool] = lambda item: True) -> RowsOf:
    """Rows for flat timelines: every item of a conversation by its own time."""
    return lambda items: [((item.ms, item.code), item) for item in items if include(item)]


def _threads(
    include: Callable[[Item], bool] = lambda item: True, by_update: bool = False
) -> RowsOf:
    """Rows for threaded listings: one per conversation, by its opener's (or last reply's) time."""

    def rows(items: tuple[Item, ...]) -> list[tuple[Key, Any]]:
        if not include(items[0]):
            return []
        return [((items[-1].ms if by_update else items[0].ms, items[0].code), items)]

    return rows

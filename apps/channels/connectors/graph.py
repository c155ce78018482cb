"""Meta Graph API plumbing shared by ``facebook_page`` and ``instagram``.

Authenticated GET/POST with ``access_token`` (plus ``appsecret_proof`` when an ``app_secret``
credential is stored), ``paging.cursors.after`` pagination, and Graph error codes mapped to
rate limits (4, 17, 32, 613, 80001-80014) or configuration errors (expired/invalid token,
missing permission).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from . import http
from .base import (
    ChannelLike,
    ConfigurationError,
    ConnectorError,
    RateLimited,
    ReplyResult,
)
from .common import base_url, credential, expect, field, shape_errors

DEFAULT_BASE_URL = "https://graph.facebook.com/v19.0"
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
AUTH_CODES = frozenset({10, 102, 190, *range(200, 300)})
RATE_LIMIT_RETRY_AFTER = 300.0


def get(channel: ChannelLike, path: str, params: dict[str, Any]) -> dict[str, Any]:
    """GET ``/{path}`` on the channel's Graph endpoint; the JSON object answered."""
    body = http.get_json(
        f"{base_url(channel, DEFAULT_BASE_URL)}/{path}",
        platform=channel.platform,
        params={**params, **_auth(channel)},
        error_hook=_graph_error,
    )
    return expect(body, dict, "a Graph API object", channel.platform)


def after(body: dict[str, Any]) -> str | None:
    """The cursor of the next page, or None on the last page (Graph omits ``paging.next`` there)."""
    return field(body, "paging", "cursors", "after") if field(body, "paging", "next") else None


def collect(
    channel: ChannelLike, path: str, params: dict[str, Any], *, max_pages: int
) -> list[dict[str, Any]]:
    """The ``data`` of an edge across up to ``max_pages`` pages."""
    rows: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(max_pages):
        body = get(channel, path, {**params, "after": token})
        rows += expect(body.get("data"), list, f"'data' of /{path}", channel.platform)
        token = after(body)
        if token is None:
            break
    return rows


def publish(channel: ChannelLike, path: str, message: str) -> ReplyResult:
    """POST ``message`` to an edge (``/{id}/comments`` or ``/{id}/replies``); the new id."""
    created = http.post_form(
        f"{base_url(channel, DEFAULT_BASE_URL)}/{path}",
        {"message": message, **_auth(channel)},
        platform=channel.platform,
        error_hook=_graph_error,
    )
    with shape_errors(channel.platform):
        return ReplyResult(external_id=str(created["id"]))


def _auth(channel: ChannelLike) -> dict[str, str]:
    token = credential(channel, "access_token")
    secret = (channel.credentials or {}).get("app_secret")
    if not secret:
        return {"access_token": token}
    proof = hmac.new(str(secret).encode(), token.encode(), hashlib.sha256).hexdigest()
    return {"access_token": token, "appsecret_proof": proof}


def _graph_error(status: int, body: Any, message: str) -> ConnectorError | None:
    code = field(body, "error", "code")
    if code in RATE_LIMIT_CODES:
        return RateLimited(message, RATE_LIMIT_RETRY_AFTER)
    if code in AUTH_CODES:
        return ConfigurationError(message)
    return None

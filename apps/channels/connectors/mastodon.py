"""Mastodon (or any server speaking its API): mentions, hashtag timelines or status search; replies.

Config: ``base_url`` (default https://mastodon.social), ``mode`` = ``mentions`` (default) |
``hashtag`` (+ ``hashtag``) | ``search`` (+ ``query``), ``backfill_pages`` (how many pages the first
fetch reads back into history, default 5); credentials ``access_token`` (optional for public
hashtag timelines). Listings run newest first; a sweep walks back with ``max_id`` (the Link
header's ``next``) down to the floor of the previous sweep, or on a first fetch (no floor yet) for
``backfill_pages`` pages at most.
Cursor: ``{"since_id": id}`` between sweeps, ``{"since_id", "max_id", "top"}`` during one and
``{"max_id", "top", "pages"}`` during the first (ids are notification ids in ``mentions`` mode,
status ids otherwise).
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from . import http
from .base import (
    AuthorData,
    ChannelLike,
    ConfigurationError,
    FetchPage,
    MentionData,
    PlatformDescription,
    ReplyResult,
    SettingField,
    base_url_field,
)
from .common import (
    backfill_pages,
    base_url,
    config,
    credential,
    expect,
    html_to_text,
    shape_errors,
)

PLATFORM = "mastodon"
DEFAULT_BASE_URL = "https://mastodon.social"

DESCRIPTION = PlatformDescription(
    label="Mastodon",
    config=(
        base_url_field(DEFAULT_BASE_URL),
        SettingField(
            "mode",
            "Listen to",
            choices=("mentions", "hashtag", "search"),
            default="mentions",
            help="Mentions of the account, a hashtag, or a search.",
        ),
        SettingField(
            "hashtag", "Hashtag", help="Without the #.", required_when=("mode", "hashtag")
        ),
        SettingField("query", "Search", required_when=("mode", "search")),
    ),
    credentials=(
        SettingField(
            "access_token",
            "Access token",
            required=True,
            secret=True,
            help="From the instance's Preferences → Development, or by signing in.",
        ),
    ),
)
PAGE_SIZE = 40  # the API maximum for statuses and notifications
PRIVATE_VISIBILITIES = ("unlisted", "private", "direct")


def fetch(channel: ChannelLike, cursor: dict[str, Any] | None) -> FetchPage:
    """One page of the configured stream, newest first, walking back to the previous sweep."""
    mode = config(channel, "mode", "mentions")
    path, params, floor_param = _stream(channel, mode)
    depth = backfill_pages(channel)
    cursor = cursor or {}
    floor, max_id = cursor.get("since_id"), cursor.get("max_id")
    pages = int(cursor.get("pages") or 0) + 1
    response = http.get(
        base_url(channel, DEFAULT_BASE_URL) + path,
        platform=PLATFORM,
        params={**params, "limit": PAGE_SIZE, floor_param: floor, "max_id": max_id},
        headers=_auth(channel, required=mode != "hashtag"),
    )
    body = response.json()
    rows = expect(
        body.get("statuses") if mode == "search" and isinstance(body, dict) else body,
        list,
        "a list of results",
        PLATFORM,
    )
    with shape_errors(PLATFORM):
        if mode == "mentions":
            statuses = [row.get("status") for row in rows if row.get("type") == "mention"]
        else:
            statuses = rows
        items = [_mention(status) for status in statuses if status and not status.get("reblog")]
        ids = [str(row["id"]) for row in rows]

    links = http.parse_link_header(response.headers.get("link"))
    top = cursor.get("top") or _link_param(links.get("prev"), "min_id") or (ids[0] if ids else None)
    older = _link_param(links.get("next"), "max_id") or (ids[-1] if ids else None)
    # A short page is the floor (or, on a first fetch, the start of the stream); a first fetch
    # also stops after ``backfill_pages`` pages.
    if len(rows) < PAGE_SIZE or older is None or (floor is None and pages >= depth):
        newest = top or floor
        return FetchPage(items, {"since_id": newest} if newest else {}, has_more=False)
    if floor is None:
        return FetchPage(items, {"max_id": older, "top": top, "pages": pages}, has_more=True)
    return FetchPage(items, {"since_id": floor, "max_id": older, "top": top}, has_more=True)


def reply(channel: ChannelLike, mention_external_id: str, text: str) -> ReplyResult:
    """Post ``@acct text`` in reply to the status, keeping a non-public parent's visibility."""
    root = base_url(channel, DEFAULT_BASE_URL)
    headers = _auth(channel, required=True)
    parent = http.get_json(
        f"{root}/api/v1/statuses/{quote(mention_external_id, safe='')}",
        platform=PLATFORM,
        headers=headers,
    )
    with shape_errors(PLATFORM):
        acct = parent["account"]["acct"]
        visibility = parent.get("visibility")
    status = text if text.lstrip().startswith(f"@{acct}") else f"@{acct} {text}"
    # Idempotency-Key: a retried request after a timeout does not post the reply twice.
    key = hashlib.sha256(f"{mention_external_id}\n{status}".encode()).hexdigest()
    created = http.post_json(
        f"{root}/api/v1/statuses",
        {
            "status": status,
            "in_reply_to_id": mention_external_id,
            "visibility": visibility if visibility in PRIVATE_VISIBILITIES else "public",
        },
        platform=PLATFORM,
        headers={**headers, "Idempotency-Key": key},
    )
    with shape_errors(PLATFORM):
        return ReplyResult(external_id=str(created["id"]), url=created.get("url") or "")


def _stream(channel: ChannelLike, mode: str) -> tuple[str, dict[str, Any], str]:
    """(path, params, floor parameter) for the mode; search takes ``min_id`` as its floor."""
    if mode == "mentions":
        return "/api/v1/notifications", {"types[]": "mention"}, "since_id"
    if mode == "hashtag":
        tag = str(config(channel, "hashtag", required=True)).lstrip("#")
        return f"/api/v1/timelines/tag/{quote(tag, safe='')}", {}, "since_id"
    if mode == "search":
        query = config(channel, "query", required=True)
        return "/api/v2/search", {"type": "statuses", "q": query}, "min_id"
    raise ConfigurationError(
        f"mastodon channel config 'mode' must be mentions, hashtag or search, not {mode!r}"
    )


def _auth(channel: ChannelLike, *, required: bool) -> dict[str, str]:
    if not required and not (channel.credentials or {}).get("access_token"):
        return {}
    return {"Authorization": f"Bearer {credential(channel, 'access_token')}"}


def _link_param(url: str | None, name: str) -> str | None:
    return parse_qs(urlsplit(url).query).get(name, [None])[0] if url else None


def _mention(status: dict[str, Any]) -> MentionData:
    account = status["account"]
    text = html_to_text(status.get("content") or "")
    if status.get("spoiler_text"):
        text = f"{status['spoiler_text']}\n\n{text}"
    in_reply_to = status.get("in_reply_to_id")
    kind = "message" if status.get("visibility") == "direct" else "reply" if in_reply_to else "post"
    return MentionData(
        external_id=str(status["id"]),
        text=text,
        posted_at=http.parse_timestamp(status["created_at"]),
        author=AuthorData(
            handle=account["acct"],
            display_name=account.get("display_name") or account.get("username") or "",
            followers=account.get("followers_count"),
            profile_url=account.get("url") or "",
        ),
        kind=kind,
        url=status.get("url") or status.get("uri") or "",
        parent_external_id=str(in_reply_to or ""),
        language=status.get("language") or "",
        engagement=sum(
            int(status.get(key) or 0)
            for key in ("replies_count", "reblogs_count", "favourites_count")
        ),
    )


# --- signing in by OAuth (https://docs.joinmastodon.org/client/token/) ---------------------------

OAUTH_SCOPES = "read write"


def oauth_register_app(server: str, *, redirect_uri: str, client_name: str) -> dict[str, str]:
    """Register Rapport as an application on the instance at ``server`` (``POST /api/v1/apps``);
    its ``client_id`` and ``client_secret``."""
    answer = http.post_form(
        f"{server.rstrip('/')}/api/v1/apps",
        {"client_name": client_name, "redirect_uris": redirect_uri, "scopes": OAUTH_SCOPES},
        platform=PLATFORM,
    )
    if not isinstance(answer, dict) or not answer.get("client_id"):
        raise ConfigurationError(f"{PLATFORM}: the server did not register the application")
    return {"client_id": str(answer["client_id"]), "client_secret": str(answer["client_secret"])}


def oauth_authorize_url(server: str, *, client_id: str, redirect_uri: str, state: str) -> str:
    """Where the person signs in on the instance and allows Rapport (``GET /oauth/authorize``)."""
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri,
             "scope": OAUTH_SCOPES, "state": state}  # fmt: skip
    return f"{server.rstrip('/')}/oauth/authorize?{urlencode(query)}"


def oauth_exchange_code(
    server: str, *, client_id: str, client_secret: str, redirect_uri: str, code: str
) -> str:
    """The access token for the authorisation ``code`` (``POST /oauth/token``)."""
    answer = http.post_form(
        f"{server.rstrip('/')}/oauth/token",
        {"grant_type": "authorization_code", "code": code, "client_id": client_id,
         "client_secret": client_secret, "redirect_uri": redirect_uri, "scope": OAUTH_SCOPES},
        platform=PLATFORM,
    )  # fmt: skip
    if not isinstance(answer, dict) or not answer.get("access_token"):
        raise ConfigurationError(f"{PLATFORM}: the server gave no access token")
    return str(answer["access_token"])

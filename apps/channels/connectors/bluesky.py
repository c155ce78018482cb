"""Bluesky (AT Protocol): post search or an actor's feed; replies written to the user's PDS.

Config: ``query`` or ``actor``; ``base_url`` for reads (default https://public.api.bsky.app) and
``pds_url`` for writes (default https://bsky.social); ``backfill_pages`` (how many pages the first
fetch reads back into history, default 5). Credentials for replies: ``identifier`` +
``app_password`` (a session is created), or ``access_token`` (+ optional ``did``).
Listings run newest first by ``indexedAt`` and are paged with the opaque ``cursor``.
Cursor: ``{"mark": iso}`` between sweeps, ``{"mark", "top", "page": bsky cursor, "pages"}`` during
one (no ``mark`` during the first, backfilling sweep; see ``common.sweep``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import http
from .base import (
    AuthorData,
    ChannelLike,
    ConfigurationError,
    FetchPage,
    MentionData,
    PlatformDescription,
    ReplyResult,
    RequestRejected,
    SettingField,
    base_url_field,
)
from .common import (
    Listing,
    backfill_pages,
    base_url,
    config,
    expect,
    field,
    shape_errors,
    sweep,
)

PLATFORM = "bluesky"
DEFAULT_BASE_URL = "https://public.api.bsky.app"

DESCRIPTION = PlatformDescription(
    label="Bluesky",
    config=(
        base_url_field(DEFAULT_BASE_URL),
        SettingField("query", "Search", one_of="source"),
        SettingField(
            "actor", "Account", help="A handle such as brand.bsky.social.", one_of="source"
        ),
        SettingField(
            "pds_url", "Server for replies", help="Default https://bsky.social.", url=True
        ),
    ),
    credentials=(
        SettingField("identifier", "Handle (for replies)"),
        SettingField("app_password", "App password (for replies)", secret=True),
    ),
)
DEFAULT_PDS_URL = "https://bsky.social"
WEB = "https://bsky.app"
PAGE_SIZE = 100
POST_COLLECTION = "app.bsky.feed.post"
REPOST = "app.bsky.feed.defs#reasonRepost"


def fetch(channel: ChannelLike, cursor: dict[str, Any] | None) -> FetchPage:
    """One page of search results (``sort=latest``) or of the actor's posts and replies."""
    query, actor = config(channel, "query"), config(channel, "actor")
    if not query and not actor:
        raise ConfigurationError("bluesky channel config is missing 'query' or 'actor'")
    root = base_url(channel, DEFAULT_BASE_URL)

    def load(page: str | None) -> Listing:
        if query:
            path, params = "searchPosts", {"q": query, "sort": "latest"}
        else:
            path, params = "getAuthorFeed", {"actor": actor, "filter": "posts_with_replies"}
        body = http.get_json(
            f"{root}/xrpc/app.bsky.feed.{path}",
            platform=PLATFORM,
            params={**params, "limit": PAGE_SIZE, "cursor": page},
        )
        with shape_errors(PLATFORM):
            if query:
                listed = [
                    (post["indexedAt"], post)
                    for post in expect(body["posts"], list, "posts", PLATFORM)
                ]
            else:
                # A repost is listed at the time it was reposted; it is not the actor's own words.
                listed = [
                    (item["reason"]["indexedAt"], None)
                    if field(item, "reason", "$type") == REPOST
                    else (item["post"]["indexedAt"], item["post"])
                    for item in expect(body["feed"], list, "feed", PLATFORM)
                ]
            times = [http.parse_timestamp(moment) for moment, _ in listed]
            entries = [
                (t, _mention(post)) for t, (_, post) in zip(times, listed, strict=True) if post
            ]
            return Listing(
                entries, body.get("cursor") if listed else None, min(times, default=None)
            )

    return sweep(cursor, load, backfill_pages=backfill_pages(channel))


def reply(channel: ChannelLike, mention_external_id: str, text: str) -> ReplyResult:
    """Create an ``app.bsky.feed.post`` record replying to the post (root + parent strong refs)."""
    posts = http.get_json(
        f"{base_url(channel, DEFAULT_BASE_URL)}/xrpc/app.bsky.feed.getPosts",
        platform=PLATFORM,
        params={"uris": mention_external_id},
    )
    posts = expect(field(posts, "posts"), list, "getPosts 'posts'", PLATFORM)
    if not posts:
        raise RequestRejected(f"bluesky: post {mention_external_id} no longer exists")
    with shape_errors(PLATFORM):
        parent = {"uri": posts[0]["uri"], "cid": posts[0]["cid"]}
        root = field(posts[0], "record", "reply", "root") or parent
        root = {"uri": root["uri"], "cid": root["cid"]}
    pds = str(config(channel, "pds_url", DEFAULT_PDS_URL)).rstrip("/")
    token, did = _session(channel, pds)
    created = http.post_json(
        f"{pds}/xrpc/com.atproto.repo.createRecord",
        {
            "repo": did,
            "collection": POST_COLLECTION,
            "record": {
                "$type": POST_COLLECTION,
                "text": text,
                "createdAt": datetime.now(UTC)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "reply": {"root": root, "parent": parent},
            },
        },
        platform=PLATFORM,
        headers={"Authorization": f"Bearer {token}"},
    )
    with shape_errors(PLATFORM):
        uri = created["uri"]
        return ReplyResult(
            external_id=uri, url=f"{WEB}/profile/{did}/post/{uri.rsplit('/', 1)[-1]}"
        )


def _session(channel: ChannelLike, pds: str) -> tuple[str, str]:
    """(access JWT, DID) from an app-password session or a stored access token."""
    credentials = channel.credentials or {}
    if credentials.get("identifier") and credentials.get("app_password"):
        session = http.post_json(
            f"{pds}/xrpc/com.atproto.server.createSession",
            {"identifier": credentials["identifier"], "password": credentials["app_password"]},
            platform=PLATFORM,
        )
        with shape_errors(PLATFORM):
            return session["accessJwt"], session["did"]
    if credentials.get("access_token"):
        token = str(credentials["access_token"])
        if credentials.get("did"):
            return token, str(credentials["did"])
        session = http.get_json(
            f"{pds}/xrpc/com.atproto.server.getSession",
            platform=PLATFORM,
            headers={"Authorization": f"Bearer {token}"},
        )
        with shape_errors(PLATFORM):
            return token, session["did"]
    raise ConfigurationError(
        "bluesky channel credentials are missing 'identifier' + 'app_password' (or 'access_token')"
    )


def _mention(post: dict[str, Any]) -> MentionData:
    record, author = post["record"], post["author"]
    handle = author["handle"]
    # createdAt is set by the client; never place a post later than the AppView indexed it.
    posted_at = http.parse_timestamp(record["createdAt"])
    if post.get("indexedAt"):
        posted_at = min(posted_at, http.parse_timestamp(post["indexedAt"]))
    return MentionData(
        external_id=post["uri"],
        text=record.get("text") or "",
        posted_at=posted_at,
        author=AuthorData(
            handle=handle,
            display_name=author.get("displayName") or "",
            profile_url=f"{WEB}/profile/{handle}",
        ),
        kind="reply" if record.get("reply") else "post",
        url=f"{WEB}/profile/{handle}/post/{post['uri'].rsplit('/', 1)[-1]}",
        parent_external_id=field(record, "reply", "parent", "uri", default=""),
        language=(record.get("langs") or [""])[0],
        engagement=sum(
            int(post.get(key) or 0)
            for key in ("likeCount", "repostCount", "replyCount", "quoteCount")
        ),
    )

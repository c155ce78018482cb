"""Facebook Page: visitors' posts and every comment on the page's feed (Graph API); replies.

Config: ``page_id``, optional ``base_url`` (default https://graph.facebook.com/v19.0) and
``backfill_pages`` (how many feed pages the first fetch reads back into history, default 5);
credential ``access_token`` (a Page token; an optional ``app_secret`` adds ``appsecret_proof``).
The feed is walked newest first by ``updated_time`` (a new comment bumps its post); each post
brings its newest 100 comments, replies included (``filter(stream)``). The page's own posts and
comments are skipped.
Cursor: ``{"mark": iso}`` between sweeps, ``{"mark", "top", "page": after cursor, "pages"}``
during one (no ``mark`` during the first, backfilling sweep; see ``common.sweep``).
"""

from __future__ import annotations

from typing import Any

from . import graph, http
from .base import (
    AuthorData,
    ChannelLike,
    FetchPage,
    MentionData,
    PlatformDescription,
    ReplyResult,
    SettingField,
    base_url_field,
)
from .common import Listing, backfill_pages, config, expect, field, shape_errors, sweep

PLATFORM = "facebook_page"

DESCRIPTION = PlatformDescription(
    label="Facebook Page",
    config=(
        base_url_field(graph.DEFAULT_BASE_URL),
        SettingField("page_id", "Page id", required=True),
    ),
    credentials=(
        SettingField("access_token", "Page access token", required=True, secret=True),
        SettingField("app_secret", "App secret (optional)", secret=True),
    ),
)
PAGE_SIZE = 25
COMMENTS_PER_POST = 100
COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id},like_count,comment_count,permalink_url"
)
FEED_FIELDS = (
    "id,message,created_time,updated_time,permalink_url,from{id,name},"
    f"comments.limit({COMMENTS_PER_POST}).order(reverse_chronological).filter(stream){{{COMMENT_FIELDS}}}"
)


def fetch(channel: ChannelLike, cursor: dict[str, Any] | None) -> FetchPage:
    """One page of the feed: visitor posts plus comments by anyone but the page."""
    page_id = str(config(channel, "page_id", required=True))

    def load(after: str | None) -> Listing:
        body = graph.get(
            channel, f"{page_id}/feed", {"fields": FEED_FIELDS, "limit": PAGE_SIZE, "after": after}
        )
        with shape_errors(PLATFORM):
            posts = expect(body["data"], list, "feed 'data'", PLATFORM)
            entries = []
            for post in posts:
                if field(post, "from", "id") != page_id:
                    mention = _mention(post, "post", "", post.get("permalink_url"))
                    entries.append((mention.posted_at, mention))
                for comment in field(post, "comments", "data", default=[]):
                    if field(comment, "from", "id") != page_id:
                        parent = field(comment, "parent", "id") or post["id"]
                        kind = "reply" if field(comment, "parent", "id") else "comment"
                        mention = _mention(comment, kind, parent, post.get("permalink_url"))
                        entries.append((mention.posted_at, mention))
            updated = [
                http.parse_timestamp(p.get("updated_time") or p["created_time"]) for p in posts
            ]
            return Listing(entries, graph.after(body), min(updated, default=None))

    return sweep(cursor, load, backfill_pages=backfill_pages(channel))


def reply(channel: ChannelLike, mention_external_id: str, text: str) -> ReplyResult:
    """POST /{comment_id}/comments (or /{post_id}/comments) with ``message``."""
    return graph.publish(channel, f"{mention_external_id}/comments", text)


def _mention(item: dict[str, Any], kind: str, parent: str, post_url: str | None) -> MentionData:
    author = item.get("from") or {}
    return MentionData(
        external_id=item["id"],
        text=item.get("message") or "",
        posted_at=http.parse_timestamp(item["created_time"]),
        author=AuthorData(
            # Graph exposes no user names, only a display name and a page-scoped id.
            handle=author.get("name") or author.get("id") or "Facebook user",
            display_name=author.get("name") or "",
            profile_url=f"https://www.facebook.com/{author['id']}" if author.get("id") else "",
        ),
        kind=kind,
        url=item.get("permalink_url") or post_url or "",
        parent_external_id=parent,
        engagement=int(item.get("like_count") or 0) + int(item.get("comment_count") or 0),
    )

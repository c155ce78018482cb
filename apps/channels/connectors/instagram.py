"""Instagram professional account: comments and replies on its recent media (Graph API); replies.

Config: ``ig_user_id``, optional ``base_url`` (default https://graph.facebook.com/v19.0),
``media_window`` (how many recent media are checked for new comments, default 20) and
``backfill_pages`` (the most media pages the first fetch reads, default 5; the window still bounds
it); credential ``access_token``. Each page is ``MEDIA_PER_PAGE`` media with their comments (GET
/{media_id}/comments); comments by the account itself are skipped.
Cursor: ``{"mark": iso}`` between sweeps, ``{"mark", "top", "page": media after cursor, "pages"}``
during one (no ``mark`` during the first, backfilling sweep; see ``common.sweep``).
"""

from __future__ import annotations

import math
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

PLATFORM = "instagram"

DESCRIPTION = PlatformDescription(
    label="Instagram",
    config=(
        base_url_field(graph.DEFAULT_BASE_URL),
        SettingField("ig_user_id", "Instagram user id", required=True),
    ),
    credentials=(
        SettingField("access_token", "Access token", required=True, secret=True),
        SettingField("app_secret", "App secret (optional)", secret=True),
    ),
)
MEDIA_PER_PAGE = 10
DEFAULT_MEDIA_WINDOW = 20
COMMENT_PAGES_PER_MEDIA = 5
COMMENTS_PER_PAGE = 50
MEDIA_FIELDS = "id,caption,permalink,timestamp,username,comments_count"
REPLY_FIELDS = "id,text,username,timestamp,like_count"
COMMENT_FIELDS = f"{REPLY_FIELDS},replies{{{REPLY_FIELDS}}}"


def fetch(channel: ChannelLike, cursor: dict[str, Any] | None) -> FetchPage:
    """One page of recent media with the comments on them (older comments filtered by the mark)."""
    user_id = str(config(channel, "ig_user_id", required=True))
    window = int(config(channel, "media_window", DEFAULT_MEDIA_WINDOW))

    def load(after: str | None) -> Listing:
        body = graph.get(
            channel,
            f"{user_id}/media",
            {"fields": MEDIA_FIELDS, "limit": MEDIA_PER_PAGE, "after": after},
        )
        entries = []
        with shape_errors(PLATFORM):
            for media in expect(body["data"], list, "media 'data'", PLATFORM):
                if not media.get("comments_count"):
                    continue
                comments = graph.collect(
                    channel,
                    f"{media['id']}/comments",
                    {"fields": COMMENT_FIELDS, "limit": COMMENTS_PER_PAGE},
                    max_pages=COMMENT_PAGES_PER_MEDIA,
                )
                for comment in comments:
                    threads = [(comment, "comment", media["id"])]
                    threads += [
                        (r, "reply", comment["id"])
                        for r in field(comment, "replies", "data", default=[])
                    ]
                    for item, kind, parent in threads:
                        if item.get("username") != media.get("username"):
                            mention = _mention(item, kind, parent, media.get("permalink"))
                            entries.append((mention.posted_at, mention))
        # Old media keep receiving comments: pages are not in comment order, only the window ends.
        return Listing(entries, graph.after(body), ordered=False)

    return sweep(
        cursor,
        load,
        max_pages=max(1, math.ceil(window / MEDIA_PER_PAGE)),
        backfill_pages=backfill_pages(channel),
    )


def reply(channel: ChannelLike, mention_external_id: str, text: str) -> ReplyResult:
    """POST /{comment_id}/replies with ``message``."""
    return graph.publish(channel, f"{mention_external_id}/replies", text)


def _mention(item: dict[str, Any], kind: str, parent: str, media_url: str | None) -> MentionData:
    username = item.get("username") or ""
    return MentionData(
        external_id=item["id"],
        text=item.get("text") or "",
        posted_at=http.parse_timestamp(item["timestamp"]),
        author=AuthorData(
            handle=username or "instagram user",
            display_name=username,
            profile_url=f"https://www.instagram.com/{username}/" if username else "",
        ),
        kind=kind,
        url=media_url or "",
        parent_external_id=parent,
        engagement=int(item.get("like_count") or 0),
    )

"""YouTube comment threads (Data API v3) on one video or everything related to a channel; replies.

Config: ``video_id`` or ``channel_id``, optional ``base_url`` (default https://www.googleapis.com)
and ``backfill_pages`` (how many pages the first fetch reads back into history, default 5);
credentials ``api_key`` for reading, an OAuth ``access_token`` for replying. Threads are listed
newest first (``order=time``) and paged with ``pageToken``; the replies YouTube embeds in a thread
are returned too.
Cursor: ``{"mark": iso}`` between sweeps, ``{"mark", "top", "page": nextPageToken, "pages"}`` during
one (no ``mark`` during the first, backfilling sweep; see ``common.sweep``).
"""

from __future__ import annotations

from typing import Any

from . import http
from .base import (
    AuthorData,
    ChannelLike,
    ConfigurationError,
    ConnectorError,
    FetchPage,
    MentionData,
    PlatformDescription,
    RateLimited,
    ReplyResult,
    SettingField,
    base_url_field,
)
from .common import (
    Listing,
    backfill_pages,
    base_url,
    config,
    credential,
    expect,
    field,
    html_to_text,
    shape_errors,
    sweep,
)

PLATFORM = "youtube"
DEFAULT_BASE_URL = "https://www.googleapis.com"

DESCRIPTION = PlatformDescription(
    label="YouTube",
    config=(
        base_url_field(DEFAULT_BASE_URL),
        SettingField("video_id", "Video id", one_of="source"),
        SettingField(
            "channel_id", "Channel id", help="Everything related to the channel.", one_of="source"
        ),
    ),
    credentials=(
        SettingField("api_key", "API key", required=True, secret=True),
        SettingField("access_token", "OAuth access token (for replies)", secret=True),
    ),
)
PAGE_SIZE = 100  # the commentThreads maximum
WEB = "https://www.youtube.com"
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


def fetch(channel: ChannelLike, cursor: dict[str, Any] | None) -> FetchPage:
    """One page of comment threads with their embedded replies."""
    video_id, channel_id = config(channel, "video_id"), config(channel, "channel_id")
    if not video_id and not channel_id:
        raise ConfigurationError("youtube channel config is missing 'video_id' or 'channel_id'")
    scope = {"videoId": video_id} if video_id else {"allThreadsRelatedToChannelId": channel_id}
    url = f"{base_url(channel, DEFAULT_BASE_URL)}/youtube/v3/commentThreads"
    key = credential(channel, "api_key")

    def load(page_token: str | None) -> Listing:
        body = http.get_json(
            url,
            platform=PLATFORM,
            params={
                "part": "snippet,replies",
                **scope,
                "maxResults": PAGE_SIZE,
                "order": "time",
                "textFormat": "plainText",
                "pageToken": page_token,
                "key": key,
            },
            error_hook=_quota_error,
        )
        with shape_errors(PLATFORM):
            threads = expect(body["items"], list, "commentThreads 'items'", PLATFORM)
            entries, thread_times = [], []
            for thread in threads:
                snippet = thread["snippet"]
                top = _mention(snippet["topLevelComment"], snippet.get("videoId"), snippet)
                thread_times.append(top.posted_at)
                entries.append((top.posted_at, top))
                for comment in field(thread, "replies", "comments", default=[]):
                    answer = _mention(comment, snippet.get("videoId"))
                    entries.append((answer.posted_at, answer))
            return Listing(entries, body.get("nextPageToken"), min(thread_times, default=None))

    return sweep(cursor, load, backfill_pages=backfill_pages(channel))


def reply(channel: ChannelLike, mention_external_id: str, text: str) -> ReplyResult:
    """POST /youtube/v3/comments?part=snippet, the thread's top-level comment as ``parentId``."""
    token = credential(channel, "access_token")
    # Replies are one level deep; a reply's id is "<top-level comment id>.<reply id>".
    parent_id = mention_external_id.split(".", 1)[0]
    created = http.post_json(
        f"{base_url(channel, DEFAULT_BASE_URL)}/youtube/v3/comments",
        {"snippet": {"parentId": parent_id, "textOriginal": text}},
        platform=PLATFORM,
        params={"part": "snippet"},
        headers={"Authorization": f"Bearer {token}"},
        error_hook=_quota_error,
    )
    with shape_errors(PLATFORM):
        video_id = field(created, "snippet", "videoId")
        url = f"{WEB}/watch?v={video_id}&lc={created['id']}" if video_id else ""
        return ReplyResult(external_id=created["id"], url=url)


def _quota_error(status: int, body: Any, message: str) -> ConnectorError | None:
    """Quota and throttling arrive as 403 with ``errors[].reason``; a bad key as 400."""
    reasons = {
        str(item.get("reason"))
        for key in ("errors", "details")
        for item in field(body, "error", key, default=[])
        if isinstance(item, dict)
    }
    if reasons & QUOTA_REASONS:
        return RateLimited(message, 3600.0)  # the daily quota: try again in an hour
    if reasons & RATE_REASONS:
        return RateLimited(message, 60.0)
    if reasons & {"keyInvalid", "API_KEY_INVALID", "keyExpired", "API_KEY_EXPIRED"}:
        return ConfigurationError(message)
    return None


def _mention(
    comment: dict[str, Any], video_id: str | None, thread: dict[str, Any] | None = None
) -> MentionData:
    snippet = comment["snippet"]
    video_id = snippet.get("videoId") or video_id or ""
    author_channel = field(snippet, "authorChannelId", "value", default="")
    name = snippet.get("authorDisplayName") or author_channel or "unknown"
    likes = int(snippet.get("likeCount") or 0)
    return MentionData(
        external_id=comment["id"],
        text=snippet.get("textOriginal") or html_to_text(snippet.get("textDisplay") or ""),
        posted_at=http.parse_timestamp(snippet["publishedAt"]),
        author=AuthorData(
            handle=name,
            display_name=name.removeprefix("@"),
            profile_url=snippet.get("authorChannelUrl")
            or (f"{WEB}/channel/{author_channel}" if author_channel else ""),
        ),
        kind="comment" if thread is not None else "reply",
        url=f"{WEB}/watch?v={video_id}&lc={comment['id']}" if video_id else "",
        parent_external_id=snippet.get("parentId") or video_id,
        engagement=likes + int((thread or {}).get("totalReplyCount") or 0),
    )

"""Reddit: new posts and comments in a subreddit, or a search; replies as comments.

Config: ``subreddit`` and/or ``query`` (a query with a subreddit searches within it), optional
``base_url`` (default https://oauth.reddit.com with an ``access_token`` credential, else
https://www.reddit.com JSON listings), ``user_agent`` and ``backfill_pages`` (how many pages of each
listing the first fetch reads back into history, default 5). Listings are newest first and paged
with ``after`` fullnames.
Cursor: ``{"posts": sweep, "comments": sweep}`` for a subreddit or ``{"search": sweep}`` for a
query, each sweep ``{"mark": iso}`` or ``{"mark", "top", "page": fullname, "pages"}`` while walking
back (no ``mark`` during the first, backfilling sweep; see ``common.sweep``).
"""

from __future__ import annotations

import re
from typing import Any

from . import http
from .base import (
    AuthorData,
    ChannelLike,
    ConfigurationError,
    FetchPage,
    MentionData,
    PlatformDescription,
    RateLimited,
    ReplyResult,
    RequestRejected,
    SettingField,
    base_url_field,
)
from .common import (
    Listing,
    Loader,
    backfill_pages,
    base_url,
    config,
    credential,
    expect,
    field,
    shape_errors,
    sweep_streams,
)

PLATFORM = "reddit"

DESCRIPTION = PlatformDescription(
    label="Reddit",
    config=(
        base_url_field("https://oauth.reddit.com"),
        SettingField("subreddit", "Subreddit", help="Without r/.", one_of="source"),
        SettingField(
            "query", "Search", help="With a subreddit, searches within it.", one_of="source"
        ),
    ),
    credentials=(
        SettingField(
            "access_token",
            "Access token",
            secret=True,
            help="Needed to reply; reading works without.",
        ),
    ),
)
OAUTH_BASE_URL = "https://oauth.reddit.com"
PUBLIC_BASE_URL = "https://www.reddit.com"
WEB = "https://www.reddit.com"
PAGE_SIZE = 100  # the listing maximum
USER_AGENT = "web:rapport-listening:1.0"


def fetch(channel: ChannelLike, cursor: dict[str, Any] | None) -> FetchPage:
    """One page from each listing with a sweep under way (or from all when starting a sweep)."""
    subreddit = config(channel, "subreddit")
    query = config(channel, "query")
    if subreddit:
        subreddit = str(subreddit).removeprefix("/").removeprefix("r/")
        if not re.fullmatch(r"[A-Za-z0-9_+]{2,100}", subreddit):
            raise ConfigurationError(
                f"reddit channel config 'subreddit' is not a subreddit name: {subreddit!r}"
            )
    if query:
        path = f"/r/{subreddit}/search.json" if subreddit else "/search.json"
        params = {
            "q": query,
            "sort": "new",
            "type": "link",
            "restrict_sr": 1 if subreddit else None,
        }
        loaders = {"search": _loader(channel, path, params)}
    elif subreddit:
        loaders = {
            "posts": _loader(channel, f"/r/{subreddit}/new.json", {}),
            "comments": _loader(channel, f"/r/{subreddit}/comments.json", {}),
        }
    else:
        raise ConfigurationError("reddit channel config is missing 'subreddit' or 'query'")
    return sweep_streams(cursor, loaders, backfill_pages=backfill_pages(channel))


def reply(channel: ChannelLike, mention_external_id: str, text: str) -> ReplyResult:
    """POST /api/comment with the parent's fullname (``thing_id``) and the reply ``text``."""
    credential(channel, "access_token")
    answer = http.post_form(
        f"{_root(channel)}/api/comment",
        {"thing_id": mention_external_id, "text": text, "api_type": "json"},
        platform=PLATFORM,
        headers=_headers(channel),
    )
    with shape_errors(PLATFORM):
        errors = field(answer, "json", "errors", default=[])  # [[code, message, field], …]
        message = "; ".join(" ".join(str(part) for part in error[:2]) for error in errors)
        if any(error and error[0] == "RATELIMIT" for error in errors):
            raise RateLimited(f"reddit: {message}", _ratelimit_delay(message))
    if errors:
        raise RequestRejected(f"reddit refused the comment: {message}")
    with shape_errors(PLATFORM):
        thing = answer["json"]["data"]["things"][0]["data"]
        return ReplyResult(external_id=thing["name"], url=WEB + thing.get("permalink", ""))


def _loader(channel: ChannelLike, path: str, params: dict[str, Any]) -> Loader:
    url = _root(channel) + path

    def load(after: str | None) -> Listing:
        body = http.get_json(
            url,
            platform=PLATFORM,
            params={**params, "limit": PAGE_SIZE, "after": after, "raw_json": 1},
            headers=_headers(channel),
        )
        body = expect(body, dict, "a Listing object", PLATFORM)
        with shape_errors(PLATFORM):
            children = body["data"]["children"]
            mentions = [_mention(child["kind"], child["data"]) for child in children]
            entries = [(m.posted_at, m) for m in mentions if m is not None]
            return Listing(entries, body["data"].get("after") if children else None)

    return load


def _root(channel: ChannelLike) -> str:
    has_token = bool((channel.credentials or {}).get("access_token"))
    return base_url(channel, OAUTH_BASE_URL if has_token else PUBLIC_BASE_URL)


def _headers(channel: ChannelLike) -> dict[str, str]:
    headers = {"User-Agent": str(config(channel, "user_agent", USER_AGENT))}
    token = (channel.credentials or {}).get("access_token")
    if token:
        headers["Authorization"] = f"bearer {token}"
    return headers


def _mention(kind: str, thing: dict[str, Any]) -> MentionData | None:
    """A ``t3`` link (post) or ``t1`` comment; other kinds (e.g. ``more``) are skipped."""
    if kind not in ("t1", "t3"):
        return None
    author = thing.get("author") or "[deleted]"
    if kind == "t3":
        text = "\n\n".join(p for p in (thing.get("title"), thing.get("selftext")) if p)
        mention_kind, parent = "post", ""
        engagement = int(thing.get("score") or 0) + int(thing.get("num_comments") or 0)
    else:
        text, parent = thing.get("body") or "", thing.get("parent_id") or ""
        mention_kind = "reply" if parent.startswith("t1_") else "comment"
        engagement = int(thing.get("score") or 0)
    return MentionData(
        external_id=thing["name"],
        text=text,
        posted_at=http.parse_timestamp(float(thing["created_utc"])),
        author=AuthorData(
            handle=author,
            display_name=author,
            profile_url="" if author == "[deleted]" else f"{WEB}/user/{author}/",
        ),
        kind=mention_kind,
        url=WEB + thing["permalink"] if thing.get("permalink") else thing.get("url") or "",
        parent_external_id=parent,
        engagement=max(engagement, 0),
    )


def _ratelimit_delay(message: str) -> float:
    """Seconds from Reddit's "try again in 9 minutes" / "in 30 seconds"; 60 if absent."""
    match = re.search(r"(\d+)\s*(minute|second)", message)
    if not match:
        return 60.0
    return float(match.group(1)) * (60 if match.group(2) == "minute" else 1)

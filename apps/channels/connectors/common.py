"""Helpers shared by the platform modules: config access, HTML → text, and newest-first paging.

``sweep`` is the one pagination loop for platforms whose listings run newest first with an opaque
"older page" token (Reddit, Bluesky, YouTube, Graph API). Its cursor is ``{"mark": iso}`` between
sweeps and ``{"mark", "top", "page", "pages"}`` while a sweep is under way (no ``mark`` during a
channel's first sweep, which backfills up to ``backfill_pages`` pages of history).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from .base import ChannelLike, ConfigurationError, FetchPage, MalformedResponse, MentionData
from .http import parse_timestamp

# Items this much older than the mark are fetched again: late-indexed posts are not lost, and the
# pipeline's de-duplication on (channel, external_id) absorbs the repeats.
OVERLAP = timedelta(minutes=2)
# How many pages of history a channel's first fetch walks back through (config ``backfill_pages``).
DEFAULT_BACKFILL_PAGES = 5
MAX_BACKFILL_PAGES = 50


def config(channel: ChannelLike, key: str, default: Any = None, *, required: bool = False) -> Any:
    """A config value; ``ConfigurationError`` naming the key if ``required`` and missing/blank."""
    value = (channel.config or {}).get(key)
    if value in (None, ""):
        if required:
            raise ConfigurationError(f"{channel.platform} channel config is missing {key!r}")
        return default
    return value


def credential(channel: ChannelLike, key: str) -> str:
    """A required credential; ``ConfigurationError`` naming it if absent."""
    value = (channel.credentials or {}).get(key)
    if not value:
        raise ConfigurationError(f"{channel.platform} channel credentials are missing {key!r}")
    return str(value)


def base_url(channel: ChannelLike, default: str) -> str:
    """The channel's ``base_url`` (any compatible server) or the platform's public endpoint."""
    return str(config(channel, "base_url", default)).rstrip("/")


def backfill_pages(channel: ChannelLike) -> int:
    """The channel's ``backfill_pages`` (default 5): how deep its first fetch reads into history."""
    value = config(channel, "backfill_pages", DEFAULT_BACKFILL_PAGES)
    pages = 0
    if isinstance(value, int | str) and not isinstance(value, bool):
        pages = int(value) if str(value).strip().isdigit() else 0
    elif isinstance(value, float) and value.is_integer():
        pages = int(value)
    if not 1 <= pages <= MAX_BACKFILL_PAGES:
        raise ConfigurationError(
            f"{channel.platform} channel config 'backfill_pages' must be a whole number "
            f"from 1 to {MAX_BACKFILL_PAGES}, not {value!r}"
        )
    return pages


def field(data: Any, *path: str | int, default: Any = None) -> Any:
    """``data[path[0]][path[1]]…`` or ``default`` when any step is missing or of the wrong type."""
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return default
    return default if data is None else data


def expect(value: Any, kind: type, what: str, platform: str) -> Any:
    """``value`` if it is a ``kind``, else ``MalformedResponse`` describing what was expected."""
    if not isinstance(value, kind):
        raise MalformedResponse(f"{platform}: expected {what}, got {type(value).__name__}")
    return value


@contextmanager
def shape_errors(platform: str) -> Iterator[None]:
    """Turn a missing key or a wrong type in a platform object into ``MalformedResponse``."""
    try:
        yield
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise MalformedResponse(
            f"{platform}: response is not in the documented shape ({type(exc).__name__}: {exc})"
        ) from None


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def html_to_text(html: str) -> str:
    """Readable plain text from post HTML: paragraphs and ``<br>`` become line breaks."""
    parser = _TextExtractor()
    parser.feed(html or "")
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


class _TextExtractor(HTMLParser):
    BLOCKS = frozenset({"p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "tr"})
    HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


@dataclass(frozen=True)
class Listing:
    """One newest-first page: (ordering time, mention) pairs and the token of the next, older page.

    ``oldest`` is the ordering time of the oldest thing listed when that is not among ``entries``
    (e.g. a Facebook page's own post, listed but not a mention). ``ordered=False`` says old and new
    entries mix on every page (comments on recent media), so only ``max_pages`` ends a sweep.
    """

    entries: list[tuple[datetime, MentionData]]
    next_token: str | None
    oldest: datetime | None = None
    ordered: bool = True


Loader = Callable[[str | None], Listing]


def sweep(
    cursor: Mapping[str, Any] | None,
    load: Loader,
    *,
    max_pages: int | None = None,
    backfill_pages: int = DEFAULT_BACKFILL_PAGES,
) -> FetchPage:
    """Fetch one page of a newest-first listing, walking back until the previous sweep's mark.

    A sweep ends when a page reaches things older than the mark (less ``OVERLAP``), the listing
    ends, or ``max_pages`` is reached. The first sweep (no mark) keeps everything it reads and ends
    after ``backfill_pages`` pages (or ``max_pages``, if fewer) at most: that is the history a new
    channel starts with. The newest time seen during a sweep (never later than now) becomes the
    next mark; ``has_more`` is true exactly while the sweep is under way.
    """
    cursor = cursor or {}
    mark = _cursor_time(cursor.get("mark"))
    if cursor.get("mark") and mark is None:
        cursor = {}  # an unreadable mark: start over like a first fetch
    top = _cursor_time(cursor.get("top"))
    pages = int(cursor.get("pages") or 0) + 1
    listing = load(cursor.get("page"))

    since = mark - OVERLAP if mark else None
    times = [moment for moment, _ in listing.entries]
    items = [mention for moment, mention in listing.entries if since is None or moment >= since]
    if times:
        newest = min(max(times), datetime.now(UTC))
        top = max(top, newest) if top else newest
    oldest = listing.oldest or (min(times) if times else None)
    limit = max_pages if since is not None else min(backfill_pages, max_pages or backfill_pages)
    done = (
        listing.next_token is None
        or (limit is not None and pages >= limit)
        or (since is not None and listing.ordered and oldest is not None and oldest < since)
    )
    if done:
        new_mark = top or mark
        return FetchPage(items, {"mark": iso(new_mark)} if new_mark else {}, has_more=False)
    state = {"mark": iso(mark), "top": iso(top), "page": listing.next_token, "pages": pages}
    return FetchPage(items, {k: v for k, v in state.items() if v is not None}, has_more=True)


def sweep_streams(
    cursor: Mapping[str, Any] | None, loaders: Mapping[str, Loader], **options: Any
) -> FetchPage:
    """``sweep`` over several listings (cursor ``{name: sweep cursor}``).

    Streams with a sweep under way are advanced alone; otherwise every stream starts a new sweep.
    """
    cursor = cursor or {}
    states = {name: dict(cursor.get(name) or {}) for name in loaders}
    names = [name for name, state in states.items() if state.get("page")] or list(loaders)
    items: list[MentionData] = []
    has_more = False
    for name in names:
        page = sweep(states[name], loaders[name], **options)
        items += page.items
        states[name] = page.next_cursor or {}
        has_more = has_more or page.has_more
    return FetchPage(items, states, has_more)


def _cursor_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None  # an unreadable cursor restarts like a first fetch

"""Handing what a channel brought in to the layer that stores mentions (listening), which
subscribes to the ``pages_fetched`` and ``items_received`` events; and what storing reports back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from apps.core import events

from .connectors.base import FetchPage, MentionData
from .models import Channel


@dataclass
class IngestResult:
    """What storing a page (or pushed items) did."""

    received: int = 0
    created: int = 0
    duplicates: int = 0
    created_ids: list[int] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (external id, reason)

    def describe_rejected(self) -> str:
        shown = "; ".join(f"{eid[:40]}: {reason}" for eid, reason in self.rejected[:3])
        more = f" and {len(self.rejected) - 3} more" if len(self.rejected) > 3 else ""
        return f"{len(self.rejected)} items refused ({shown}{more})"


def _the_one(results: list, event: events.Event):
    if len(results) != 1:
        raise RuntimeError(f"{event.name} needs exactly one subscriber, has {event.subscribers}")
    return results[0]


def store_pages(
    *,
    channel: Channel,
    pages: Iterator[FetchPage],
    on_stored: Callable[[FetchPage, IngestResult], None],
) -> None:
    """Store a fetch's pages as they arrive, each in its own transaction with ``on_stored``."""
    results = events.pages_fetched.publish(channel=channel, pages=pages, on_stored=on_stored)
    _the_one(results, events.pages_fetched)


def store_items(*, channel: Channel, items: list[MentionData]) -> IngestResult:
    """Store pushed or imported items inside the caller's transaction, durably."""
    return _the_one(events.items_received.publish(channel=channel, items=items),
                    events.items_received)  # fmt: skip

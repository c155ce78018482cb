"""Events a lower layer publishes so that a higher one can react without being imported.

Each event is declared here with its payload; a service publishes it in plain sight
(``events.mentions_stored.publish(client_id=…, mention_ids=…)``) and a higher app subscribes
in its ``AppConfig.ready``. Subscribers run synchronously, inside the publisher's transaction.
``Event.subscribers`` lists who reacts, so the control flow can be read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Event:
    """A named event with the keyword arguments (``payload``) its subscribers receive."""

    name: str
    payload: tuple[str, ...]
    _subscribers: list[Callable[..., Any]] = field(default_factory=list)

    def subscribe(self, subscriber: Callable[..., Any]) -> Callable[..., Any]:
        """Call ``subscriber(**payload)`` on every publication (once, however often asked)."""
        if subscriber not in self._subscribers:
            self._subscribers.append(subscriber)
        return subscriber

    def publish(self, **payload: Any) -> None:
        if set(payload) != set(self.payload):
            raise TypeError(f"{self.name} carries {self.payload}, got {sorted(payload)}")
        for subscriber in self._subscribers:
            subscriber(**payload)

    @property
    def subscribers(self) -> list[str]:
        return [f"{s.__module__}.{s.__qualname__}" for s in self._subscribers]


mentions_stored = Event("mentions_stored", ("client_id", "mention_ids"))
"""New mentions of one client were stored (ingest), in the storing transaction: per call of
``ingest_page``, or per batch of pages of a fetch (``ingest_pages``)."""

customers_imported = Event("customers_imported", ("client_id",))
"""A client's CRM customers were imported and its mentions re-linked to them."""

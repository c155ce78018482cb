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

    def publish(self, **payload: Any) -> list[Any]:
        """Call every subscriber, in the order they subscribed; returns what each returned."""
        if set(payload) != set(self.payload):
            raise TypeError(f"{self.name} carries {self.payload}, got {sorted(payload)}")
        return [subscriber(**payload) for subscriber in self._subscribers]

    @property
    def subscribers(self) -> list[str]:
        return [f"{s.__module__}.{s.__qualname__}" for s in self._subscribers]


agency_created = Event(
    "agency_created", ("agency", "owner_email", "owner_password", "owner_password_hash")
)
"""A new agency's schema exists and is active: its owner is to be created there (accounts), with
``owner_password`` or, when given, the already hashed ``owner_password_hash``."""

audit_recorded = Event(
    "audit_recorded", ("actor", "action", "object_type", "object_id", "before", "after")
)
"""A change a person made is to be written to the agency's audit log (acknowledgements keeps it)."""

pages_fetched = Event("pages_fetched", ("channel", "pages", "on_stored"))
"""A fetch has pages of ``MentionData`` for ``channel`` (channels): they are to be stored, each in
its own transaction with ``on_stored(page, result)`` (listening's ``ingest_pages``)."""

items_received = Event("items_received", ("channel", "items"))
"""Items were pushed to or imported for ``channel`` (channels): they are to be stored, inside the
caller's transaction (listening's ``ingest_page``, which returns its ``IngestResult``)."""

page_stored = Event("page_stored", ("channel", "page", "run"))
"""A page of mentions was stored (listening's ingest), in its transaction: ``page`` is a
``StoredPage`` (new ids, praise, times, replies); ``run`` a dict kept over a fetch's pages for what
a subscriber looks up once per fetch. Routing (acknowledgements), roll-ups (reporting) and
``mention.created`` (webhooks) follow."""

mentions_stored = Event("mentions_stored", ("client_id", "mention_ids"))
"""New mentions of one client were stored (ingest), in the storing transaction: per call of
``ingest_page``, or per batch of pages of a fetch (``ingest_pages``)."""

user_invited_to_client = Event("user_invited_to_client", ("user", "client", "role", "invited_by"))
"""A person was invited as a client user (accounts): the clients app refuses a client the inviter
may not give (``ValidationError``, which undoes the invitation) and records the membership."""

invitable_clients = Event("invitable_clients", ("inviter",))
"""The people page offers the clients a person may invite client users to: the clients app answers
the queryset of active clients ``inviter`` sees."""

client_accounts_changed = Event("client_accounts_changed", ("client",))
"""A client's own or competitors' accounts (or brand handles) changed: the authors and mentions
they mark are to be marked again (listening)."""

channel_deleted = Event("channel_deleted", ("client_id",))
"""A client's channel was deleted with the mentions fetched through it, in the same transaction:
what counted the client's mentions is to be forgotten (reporting drops its term roll-ups)."""

dashboard_panels = Event("dashboard_panels", ("client", "period"))
"""A client's dashboard (reporting) is being drawn for ``period``: each subscriber returns a dict
of what its panel shows, added to the page's context (community: ``topics``)."""

customers_stored = Event("customers_stored", ("client",))
"""A client's CRM customers were stored: its mentions are to be re-linked to them (listening);
subscribers return ``{"mentions_linked": n, "mentions_unlinked": n}``."""

customers_imported = Event("customers_imported", ("client_id",))
"""A client's CRM customers were imported and its mentions re-linked to them."""

mentions_acknowledged = Event("mentions_acknowledged", ("acknowledgements",))
"""Mentions were acknowledged: the new ``Acknowledgement`` rows, in the same transaction."""

slas_breached = Event("slas_breached", ("breaches",))
"""Open mentions passed their SLA: the new ``SlaBreach`` rows (when they are to be notified)."""

mentions_purging = Event("mentions_purging", ("mention_ids",))
"""These expired mentions are about to be deleted (retention): subscribers delete what hangs off
them that no foreign key cascades, and return ``{what: how many}`` for the purge's summary."""

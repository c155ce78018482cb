"""The moments integrators hear about: what each event carries, published from the services
where they happen (ingest, acknowledgement, SLA check). Nothing is built when nobody listens."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.listening.models import Mention
from apps.listening.representation import mention_representation

from .models import Event, WebhookSubscription
from .services import events_publish


def listened_to(event: str) -> bool:
    """Whether any active subscription of the agency wants ``event``."""
    return _listened_to(event)


def _listened_to(event: str) -> bool:
    return WebhookSubscription.objects.filter(is_active=True, events__contains=[event]).exists()


def _mentions(ids) -> QuerySet[Mention]:
    return Mention.objects.filter(pk__in=list(ids)).select_related("author").order_by("pk")


def mentions_created(mention_ids: list[int], *, listened: bool | None = None) -> int:
    """``mention.created``: one event per new mention, its representation as ``data``.
    ``listened`` says, when known (a fetch asks once for all its pages), whether anyone
    subscribes."""
    if listened is None:
        listened = bool(mention_ids) and _listened_to(Event.MENTION_CREATED)
    if not mention_ids or not listened:
        return 0
    payloads = [mention_representation(m) for m in _mentions(mention_ids)]
    return events_publish(event=Event.MENTION_CREATED, payloads=payloads)


def page_stored(*, channel, page, run: dict) -> int:
    """``mention.created`` for a page of new mentions (the ``page_stored`` event); whether anyone
    listens is asked once per fetch."""
    if "mention_created_listened" not in run:
        run["mention_created_listened"] = _listened_to(Event.MENTION_CREATED)
    return mentions_created(page.created_ids, listened=run["mention_created_listened"])


def mentions_acknowledged(acknowledgements) -> int:
    """``mention.acknowledged``: the mention and the acknowledgement that answered it."""
    if not acknowledgements or not _listened_to(Event.MENTION_ACKNOWLEDGED):
        return 0
    mentions = {m.pk: m for m in _mentions(a.mention_id for a in acknowledgements)}
    payloads = [
        {
            "mention": mention_representation(mentions[ack.mention_id]),
            "acknowledgement": {
                "id": ack.pk,
                "kind": ack.kind,
                "text": ack.text,
                "user": ack.user_id,
                "created_at": ack.created_at,
                "is_personal": ack.is_personal,
            },
        }
        for ack in acknowledgements
    ]
    return events_publish(event=Event.MENTION_ACKNOWLEDGED, payloads=payloads)


def slas_breached(breaches) -> int:
    """``sla.breached``: the mention nobody acknowledged in time, and when it was due."""
    if not breaches or not _listened_to(Event.SLA_BREACHED):
        return 0
    mentions = {m.pk: m for m in _mentions(b.mention_id for b in breaches)}
    payloads = [
        {
            "mention": mention_representation(mentions[breach.mention_id]),
            "due_at": breach.due_at,
            "detected_at": breach.detected_at,
        }
        for breach in breaches
    ]
    return events_publish(event=Event.SLA_BREACHED, payloads=payloads)


def spikes_alerted(alerts: list[dict]) -> int:
    """``alert.spike``: a client's mention volume or negative share far above its usual level;
    ``alerts`` are their representations (``apps.alerts`` builds them)."""
    if not alerts or not _listened_to(Event.ALERT_SPIKE):
        return 0
    return events_publish(event=Event.ALERT_SPIKE, payloads=alerts)

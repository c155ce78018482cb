"""Replies posted to the platforms: queued through the outbox after the commit, delivered
by a task, retried by a person."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.models import User
from apps.channels.connectors import get_connector
from apps.channels.connectors.base import ConnectorError
from apps.core import outbox

from ..models import Acknowledgement, AuditEntry

DELIVER_TASK = "apps.acknowledgements.tasks.deliver_acknowledgement"


def _queue_delivery(ids: list[int]) -> None:
    """Queue the replies' delivery through the outbox, in the caller's transaction: sent after
    the commit, or by the outbox sweep once the broker is back (apps.core.outbox)."""
    outbox.enqueue_many(DELIVER_TASK, [(pk,) for pk in ids])


def acknowledgement_deliver(*, acknowledgement_id: int) -> Acknowledgement:
    """Post a reply through its mention's connector; record the outcome (sent or failed)."""
    ack = Acknowledgement.objects.select_related("mention__channel").get(pk=acknowledgement_id)
    if ack.delivery_status != Acknowledgement.Delivery.PENDING:
        return ack  # already sent, or not a reply: never post twice
    channel = ack.mention.channel
    ack.attempts += 1
    try:
        if channel.listen_only:
            raise ConnectorError("the channel is listen-only")
        result = get_connector(channel.platform).reply(channel, ack.mention.external_id, ack.text)
    except ConnectorError as error:
        ack.delivery_status, ack.delivery_error = Acknowledgement.Delivery.FAILED, str(error)
    else:
        ack.delivery_status, ack.delivery_error = Acknowledgement.Delivery.SENT, ""
        ack.external_id, ack.external_url = result.external_id, result.url
    ack.save(
        update_fields=[
            "attempts",
            "delivery_status",
            "delivery_error",
            "external_id",
            "external_url",
        ]
    )
    return ack


def acknowledgement_retry(*, acknowledgement: Acknowledgement, user: User) -> Acknowledgement:
    """Send a failed reply again."""
    if acknowledgement.delivery_status != Acknowledgement.Delivery.FAILED:
        raise ValidationError({"delivery": "Only a failed reply can be retried."})
    with transaction.atomic():
        acknowledgement.delivery_status = Acknowledgement.Delivery.PENDING
        acknowledgement.save(update_fields=["delivery_status"])
        AuditEntry.objects.create(
            actor=user, action="retry_reply", object_type="acknowledgement",
            object_id=acknowledgement.pk, before={"delivery_status": "failed"},
            after={"delivery_status": "pending"},
        )  # fmt: skip
        _queue_delivery([acknowledgement.pk])
    return acknowledgement

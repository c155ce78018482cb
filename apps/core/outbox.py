"""The transactional outbox: every background task the web (or a task) asks for goes through here.

``enqueue`` writes an ``OutboxMessage`` in the caller's transaction, so the task exists exactly
when the caller's rows do. After the commit it is published at once — with a one-second connect
timeout and no retries, so a dead broker never holds up a request — and the message deleted. A
message the broker refused stays; ``outbox_publish_due`` (beat, every 30 seconds) publishes it
once the broker is back, as it does messages scheduled for later (``delay``).

Each message is published by whoever holds its row lock (``SKIP LOCKED``), so it is published
once; the tasks behind it are idempotent (they claim their ``queued`` row), so a publication
repeated after a crash still runs the work once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from importlib import import_module

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 1.0  # on the request path: a dead broker costs at most this
SWEEP_BATCH = 500


def enqueue(task: str, *args, delay: float = 0) -> OutboxMessage:
    """Record ``task(*args)`` (a task's dotted name) to run in the current agency once the
    caller's transaction commits (``delay``: not before that many seconds)."""
    (message,) = enqueue_many(task, [args], delay=delay)
    return message


def enqueue_many(task: str, args_list: Iterable[Sequence], *, delay: float = 0) -> list:
    """``enqueue`` for many argument tuples of one task, in one INSERT."""
    now = timezone.now()
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(
            schema_name=connection.schema_name, task=task, args=list(args), created_at=now,
            available_at=now + timedelta(seconds=delay),
        )
        for args in args_list
    )  # fmt: skip
    if messages and not delay:
        ids = [message.pk for message in messages]
        transaction.on_commit(lambda: _publish_committed(ids))
    return messages


def _publish_committed(ids: list[int]) -> None:
    """After the caller's commit: publish its messages now, unless the sweep has them."""
    try:
        with transaction.atomic():
            messages = list(
                OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk__in=ids)
            )
            _publish(messages)
    except Exception:  # the database went away after the commit: the sweep will publish them
        logger.exception("outbox messages %s not published; the sweep will", ids)


def outbox_publish_due(*, limit: int = SWEEP_BATCH) -> int:
    """Publish the messages whose time has come (left by a broker outage, or delayed); stops at
    the first broker error. Returns how many were published."""
    published = 0
    while True:
        with transaction.atomic():
            messages = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(available_at__lte=timezone.now())
                .order_by("available_at", "pk")[:limit]
            )
            if not messages:
                return published
            done = _publish(messages)
        published += done
        if done < len(messages):
            return published


def outbox_pending(*, schema_name: str | None = None) -> list[OutboxMessage]:
    """The messages not yet published (of one agency, or of all)."""
    messages = OutboxMessage.objects.order_by("available_at", "pk")
    if schema_name:
        messages = messages.filter(schema_name=schema_name)
    return list(messages)


def _publish(messages: list[OutboxMessage]) -> int:
    """Send the locked ``messages`` to the broker, deleting each one sent; on the first error
    record it on the rest and stop. Returns how many were sent."""
    if not messages:
        return 0
    from agency.celery import app

    sent: list[int] = []
    try:
        with app.connection_for_write(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            transport_options={
                **(app.conf.broker_transport_options or {}),
                "max_retries": 0,
                "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
            },
        ) as broker:
            for message in messages:
                _task(app, message.task).apply_async(
                    message.args, connection=broker, retry=False, ignore_result=True,
                    headers={"_schema_name": message.schema_name},
                )  # fmt: skip
                sent.append(message.pk)
    except Exception as error:  # kombu's OperationalError and friends: the broker is unreachable
        left = [message.pk for message in messages if message.pk not in sent]
        logger.warning("%d task(s) left in the outbox: %r", len(left), error)
        OutboxMessage.objects.filter(pk__in=left).update(
            attempts=F("attempts") + 1, last_error=str(error)[:500]
        )
    OutboxMessage.objects.filter(pk__in=sent).delete()
    return len(sent)


def _task(app, name: str):
    """The registered task ``name``, importing its module first: a web process has not loaded
    the tasks modules (only workers autodiscover them)."""
    if name not in app.tasks:
        import_module(name.rsplit(".", 1)[0])
    return app.tasks[name]

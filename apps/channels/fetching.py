"""The fetch pipeline (SPEC §3): channels_dispatch_due claims the channels whose time has come
and enqueues one fetch_channel task each; channel_fetch pages through the connector,
storing each page and advancing the cursor in one transaction, so a crash at any point loses
nothing and duplicates nothing. Failures back off exponentially with jitter (or as long as a 429
asks) and, repeated, mark the channel ``failing`` and alert the agency's owners and managers."""

from __future__ import annotations

import logging
import random
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.core.mail import send_mail
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.selectors import alert_recipients
from apps.core import fairshare, outbox
from apps.core.heartbeat import heartbeat, stale_before

from . import ssrf
from .connectors import get_connector
from .connectors.base import (
    ConfigurationError,
    ConnectorError,
    FetchNotSupported,
    FetchPage,
    RateLimited,
)
from .models import Channel, FetchRun
from .storing import IngestResult, store_pages

MAX_PAGES_PER_RUN = 25
FETCH_TIME_BUDGET = timedelta(minutes=3)
FAILING_AFTER = 5  # consecutive failed runs
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600

logger = logging.getLogger(__name__)


# --- scheduling --------------------------------------------------------------------------------


def channels_claim_due(*, now=None) -> list[int]:
    """Claim the pulled channels due for a fetch (one UPDATE, so two dispatchers never share)."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Channel._meta.db_table}
            SET next_fetch_at = %s + make_interval(mins => fetch_interval_minutes)
            WHERE health <> 'paused' AND platform NOT IN ('webhook', 'csv')
              AND (next_fetch_at IS NULL OR next_fetch_at <= %s)
            RETURNING id
            """,  # noqa: S608
            [now, now],
        )
        return sorted(pk for (pk,) in cursor.fetchall())


@transaction.atomic
def channels_dispatch_due(*, now=None) -> int:
    """Claim the due channels and queue one fetch each, all in one transaction."""
    claimed = channels_claim_due(now=now)
    for channel_id in claimed:
        fetch_run_enqueue(channel_id=channel_id, trigger=FetchRun.Trigger.SCHEDULE)
    return len(claimed)


def fetch_run_queue(*, channel_id: int, trigger: str) -> FetchRun:
    return FetchRun.objects.create(channel_id=channel_id, trigger=trigger)


FETCH_TASK = "apps.channels.tasks.fetch_channel"


@transaction.atomic
def fetch_run_enqueue(*, channel_id: int, trigger: str, delay: float = 0) -> FetchRun:
    """Record a queued run and its ``fetch_channel`` task (transactional outbox): the task is
    sent after the commit, or by the outbox sweep if the broker is down."""
    run = fetch_run_queue(channel_id=channel_id, trigger=trigger)
    outbox.enqueue(FETCH_TASK, channel_id, run.pk, delay=delay)
    return run


def channel_fetch_now(*, channel: Channel) -> FetchRun:
    """Queue an immediate fetch ("fetch now"); the returned run shows its progress."""
    return fetch_run_enqueue(channel_id=channel.pk, trigger=FetchRun.Trigger.MANUAL)


def backoff_seconds(failures: int) -> float:
    """Exponential backoff with full jitter: random in [base, base·2^(n-1)], capped."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, failures - 1))
    return random.uniform(BACKOFF_BASE_SECONDS, max(BACKOFF_BASE_SECONDS, ceiling))


# --- fetching ----------------------------------------------------------------------------------


@contextmanager
def _channel_lock(channel_id: int) -> Iterator[bool]:
    """A session advisory lock so one channel is never fetched by two workers at once."""
    key = zlib.crc32(f"{connection.schema_name}:channel:{channel_id}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [7301, key - 2**31])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [7301, key - 2**31])


def channel_fetch(
    *, channel_id: int, run_id: int | None = None, trigger: str = FetchRun.Trigger.SCHEDULE
) -> FetchRun:
    """Fetch a channel until caught up or out of budget, committing page by page."""
    channel = Channel.objects.select_related("client").get(pk=channel_id)
    run = (
        FetchRun.objects.get(pk=run_id, channel=channel)
        if run_id
        else fetch_run_queue(channel_id=channel.pk, trigger=trigger)
    )
    with fairshare.agency_slot() as granted:
        if not granted:  # the agency has its share of the workers busy: come back shortly
            outbox.enqueue(FETCH_TASK, channel.pk, run.pk, delay=fairshare.retry_seconds())
            return run
        return _channel_fetch_claimed(channel, run)


def _channel_fetch_claimed(channel: Channel, run: FetchRun) -> FetchRun:
    if not _fetch_run_claim(run):
        logger.info("fetch run %s is %s already; task not run again", run.pk, run.status)
        return run
    if not channel.is_pulled:  # refused without touching health: the channel itself is fine
        run.errors = 1
        _finish(run, FetchRun.Status.FAILED, _describe(FetchNotSupported(
            f"{channel.get_platform_display()} channels are fed from outside "
            f"({'push-only' if channel.platform == 'webhook' else 'import-only'}); "
            "nothing to fetch."
        )))  # fmt: skip
        return run
    with _channel_lock(channel.pk) as acquired:
        if not acquired:
            _finish(run, FetchRun.Status.FAILED, "Another fetch of this channel is running.")
            return run
        with heartbeat(FetchRun, run.pk):
            _run_fetch(channel, run)
    return run


def fetch_runs_recover_dead(*, stale_after: timedelta | None = None) -> list[FetchRun]:
    """Fail the running fetches whose worker died (no heartbeat for ``stale_after``, by default
    RAPPORT_HEARTBEAT_STALE_SECONDS) and fetch their channels again, from the stored cursor.

    Pages already stored stay (each committed with the cursor), so nothing is lost or stored
    twice; a late redelivery of the dead run's task finds the run finished and does nothing.
    """
    with transaction.atomic():
        dead = list(
            FetchRun.objects.select_for_update(skip_locked=True).filter(
                status=FetchRun.Status.RUNNING, heartbeat_at__lt=stale_before(stale_after)
            )
        )
        for run in dead:
            run.status, run.finished_at = FetchRun.Status.FAILED, timezone.now()
            run.errors += 1
            run.error_message = (
                "The worker running this fetch stopped (no heartbeat since "
                f"{run.heartbeat_at:%H:%M:%S} UTC); the channel is fetched again."
            )
            run.save(update_fields=["status", "finished_at", "errors", "error_message"])
            fetch_run_enqueue(channel_id=run.channel_id, trigger=run.trigger)
    for run in dead:
        logger.warning("fetch run %s of channel %s: worker gone, fetched again", run.pk,
                       run.channel_id)  # fmt: skip
    return dead


def _fetch_run_claim(run: FetchRun) -> bool:
    """Move a queued run to running; False if another delivery of its task got there first
    (each run is carried out once, however often its task is delivered)."""
    now = timezone.now()
    claimed = FetchRun.objects.filter(pk=run.pk, status=FetchRun.Status.QUEUED).update(
        status=FetchRun.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if claimed:
        run.status, run.started_at = FetchRun.Status.RUNNING, now
    else:
        run.refresh_from_db(fields=["status"])
    return bool(claimed)


def _run_fetch(channel: Channel, run: FetchRun) -> None:
    started = time.monotonic()
    connector = get_connector(channel.platform)
    refused: list[str] = []  # items the database would not take, per page

    def pages() -> Iterator[FetchPage]:
        cursor, fetched = channel.cursor, 0
        while True:
            page = connector.fetch(channel, cursor)
            fetched += 1
            yield page
            out_of_budget = (
                fetched >= MAX_PAGES_PER_RUN
                or time.monotonic() - started > FETCH_TIME_BUDGET.total_seconds()
            )
            if not page.has_more or out_of_budget:
                return
            cursor = page.next_cursor

    def on_stored(page: FetchPage, stored: IngestResult) -> None:
        """In the page's transaction: the cursor moves and the run counts with the page."""
        Channel.objects.filter(pk=channel.pk).update(cursor=page.next_cursor)
        FetchRun.objects.filter(pk=run.pk).update(
            pages=F("pages") + 1,
            fetched=F("fetched") + stored.received,
            new=F("new") + stored.created,
            duplicates=F("duplicates") + stored.duplicates,
            errors=F("errors") + len(stored.rejected),
        )
        if stored.rejected:
            refused.append(stored.describe_rejected())

    try:
        store_pages(channel=channel, pages=pages(), on_stored=on_stored)
        run.refresh_from_db(fields=["pages", "fetched", "new", "duplicates", "errors"])
    except (ConnectorError, SoftTimeLimitExceeded, ssrf.UnsafeURL) as error:
        _record_failure_durably(channel, run, error, started)
        return
    except Exception as error:
        # A page the database refused, or a bug: the page's transaction rolled back, the cursor
        # stayed put; record it on the run and the channel, then let the worker log the traceback.
        _record_failure_durably(channel, run, error, started)
        raise
    _record_success(channel, run, started, "; ".join(refused))


def _healthy(channel: Channel) -> str:
    """OK again after a success — but a paused channel stays paused."""
    return Channel.Health.PAUSED if channel.health == Channel.Health.PAUSED else Channel.Health.OK


def _record_success(channel: Channel, run: FetchRun, started: float, refused: str = "") -> None:
    now = timezone.now()
    Channel.objects.filter(pk=channel.pk).update(
        health=_healthy(channel),
        consecutive_failures=0,
        last_error="",
        last_success_at=now,
        last_fetch_at=now,
        next_fetch_at=now + timedelta(minutes=channel.fetch_interval_minutes),
    )
    status = FetchRun.Status.PARTIAL if refused else FetchRun.Status.SUCCEEDED
    _finish(run, status, refused, started)


def _describe(error: BaseException) -> str:
    if isinstance(error, SoftTimeLimitExceeded):
        return "The fetch ran out of time and will resume from the last stored page."
    if isinstance(error, ssrf.UnsafeURL):
        return f"Refused to fetch: {error}"
    if isinstance(error, DatabaseError):
        return f"Could not store a page: {str(error).splitlines()[0]}"
    if not isinstance(error, ConnectorError):
        return f"Internal error ({error.__class__.__name__}); the page was not stored."
    return str(error) or error.__class__.__name__


RECORD_ATTEMPTS = 30  # one a second: a database restarting (or failing over) is back by then


def _record_failure_durably(
    channel: Channel, run: FetchRun, error: BaseException, started: float
) -> None:
    """Record the failure, waiting for the database if it is what failed (restarting); if it
    stays away, the run's stale heartbeat has it recovered (``fetch_runs_recover_dead``)."""
    for attempt in range(RECORD_ATTEMPTS):
        try:
            _record_failure(channel, run, error, started)
            return
        except DatabaseError:
            if attempt == RECORD_ATTEMPTS - 1:
                raise
            time.sleep(1)  # Django opens a fresh connection on the next query


def _record_failure(channel: Channel, run: FetchRun, error: BaseException, started: float) -> None:
    now = timezone.now()
    failures = channel.consecutive_failures + 1
    permanent = isinstance(error, (ConfigurationError, ssrf.UnsafeURL))
    if permanent:
        failures = max(failures, FAILING_AFTER)
    wait = (
        error.retry_after
        if isinstance(error, RateLimited) and error.retry_after
        else backoff_seconds(failures)
    )
    health = Channel.Health.FAILING if failures >= FAILING_AFTER else Channel.Health.DEGRADED
    if channel.health == Channel.Health.PAUSED:
        health = Channel.Health.PAUSED
    message = _describe(error)
    Channel.objects.filter(pk=channel.pk).update(
        health=health,
        consecutive_failures=failures,
        last_error=message,
        last_fetch_at=now,
        next_fetch_at=now + timedelta(seconds=wait),
    )
    run.refresh_from_db(fields=["pages", "fetched", "new", "duplicates", "errors"])
    run.errors += 1
    _finish(run, FetchRun.Status.PARTIAL if run.pages else FetchRun.Status.FAILED, message, started)
    logger.warning("fetch of channel %s failed (%s): %s", channel.pk, failures, message)
    if health == Channel.Health.FAILING and channel.health != Channel.Health.FAILING:
        channel_alert_failing(channel=channel, message=message)


def _finish(run: FetchRun, status: str, message: str, started: float | None = None) -> None:
    run.status, run.error_message, run.finished_at = status, message, timezone.now()
    if started is not None:
        run.duration_ms = int((time.monotonic() - started) * 1000)
    run.save(update_fields=["status", "error_message", "finished_at", "duration_ms", "errors"])


def channel_alert_failing(*, channel: Channel, message: str) -> None:
    """Tell the agency's owners and managers that a channel stopped working."""
    recipients = alert_recipients()
    logger.error("channel %s (%s) is failing: %s", channel.pk, channel.name, message)
    if recipients:
        send_mail(
            subject=f"[Rapport] Channel '{channel.name}' of {channel.client.name} is failing",
            message=(
                f"Rapport could not fetch '{channel.name}' ({channel.get_platform_display()}) "
                f"{FAILING_AFTER} times in a row or hit an error that retrying will not fix.\n\n"
                f"Last error: {message}\n\nCheck the channel's settings and credentials."
            ),
            from_email=None,
            recipient_list=recipients,
        )

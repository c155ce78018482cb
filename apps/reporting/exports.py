"""CSV exports of a client's mentions and acknowledgements for a period: rows read through the
user-scoped selectors from a server-side cursor and written out in small chunks, so memory stays
flat whatever the number of rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery

from apps.accounts.models import User
from apps.acknowledgements.models import Acknowledgement, AuditEntry
from apps.acknowledgements.selectors import acknowledgement_list
from apps.clients.models import Client
from apps.clients.selectors import client_get
from apps.listening.models import Mention
from apps.listening.selectors import mention_list
from apps.listening.sentiment import label_for

from . import kpis
from .periods import period_of
from .selectors import Period, client_report, report_for

CHUNK_SIZE = 2000  # rows fetched from the server-side cursor at a time
FLUSH_CHARS = 64 * 1024  # CSV text buffered before a chunk of bytes is handed to the response
# What a spreadsheet would read as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

MENTION_HEADER = (
    "id", "posted_at", "client", "channel", "platform", "author_handle", "author_display_name",
    "text", "kind", "url", "sentiment", "sentiment_score", "status", "priority",
    "needs_acknowledgement", "acknowledged_at", "time_to_acknowledge_minutes", "team",
    "assigned_to", "tags", "matched_queries",
)  # fmt: skip
MENTION_FIELDS = (
    "pk", "posted_at", "client__name", "channel__name", "platform", "author__handle",
    "author__display_name", "text", "kind", "url", "sentiment", "sentiment_score", "status",
    "priority", "needs_acknowledgement", "acknowledged_at", "time_to_acknowledge_minutes",
    "team__name", "assigned_to__email", "tags", "matched_queries",
)  # fmt: skip
# Mentions whose labels a person corrected: a labelled set for measuring or training a model.
CORRECTION_HEADER = (
    "id", "posted_at", "corrected_at", "channel", "platform", "language", "kind",
    "author_handle", "text", "sentiment", "intent", "model_sentiment", "model_sentiment_score",
    "model_intent",
)  # fmt: skip
ACKNOWLEDGEMENT_HEADER = (
    "id", "created_at", "mention_id", "mention_url", "author_handle", "user", "kind", "text",
    "delivery_status", "is_personal", "time_to_acknowledge_minutes",
)  # fmt: skip
ACKNOWLEDGEMENT_FIELDS = (
    "pk", "created_at", "mention_id", "mention__url", "mention__author__handle", "user__email",
    "kind", "text", "delivery_status", "is_personal", "mention__time_to_acknowledge_minutes",
)  # fmt: skip


def export_filename(*, client: Client, what: str, period: Period) -> str:
    """``northwind-coffee-mentions-2026-11-01-to-2026-11-30.csv``."""
    return f"{client.slug}-{what}-{period.since.isoformat()}-to-{period.until.isoformat()}.csv"


def safe_text(value: str | None) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a leading '."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat() if value is not None else ""


def _number(value: float | None, digits: int = 2) -> float | str:
    """A measured figure rounded as people read it (minutes: two decimals); empty for none."""
    return "" if value is None else round(value, digits)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _csv_chunks(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[bytes]:
    """UTF-8 CSV (RFC 4180 line ends) in chunks of about ``FLUSH_CHARS``, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= FLUSH_CHARS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _streamed(queryset) -> Iterator[tuple]:
    """Rows from a server-side cursor ``CHUNK_SIZE`` at a time.

    Inside a transaction Django declares a plain cursor that PostgreSQL produces lazily; in
    autocommit it would declare it ``WITH HOLD``, which makes the server compute and store the
    whole result before the first row arrives. The transaction only reads; it ends with the
    export (or when the download is abandoned and the generator is closed).
    """
    with transaction.atomic():
        yield from queryset.iterator(chunk_size=CHUNK_SIZE)


def mentions_csv_rows(
    *, user: User, client_id: int, since: date | None, until: date | None
) -> Iterator[bytes]:
    """The mentions of a client the user may see posted in the period, oldest first, as CSV.

    Looks the client up at once (``Client.DoesNotExist`` if the user may not see it); the rows
    are read as the returned iterator is consumed.
    """
    client = client_get(user=user, client_id=client_id)
    period = period_of(client=client, since=since, until=until)
    mentions = mentions_for_export(user=user, client=client, period=period)
    return _csv_chunks(MENTION_HEADER, _mention_rows(mentions, ZoneInfo(client.timezone)))


def figures_csv_rows(
    *, user: User, client_id: int, since: date | None, until: date | None
) -> Iterator[bytes]:
    """The report's headline figures (``kpis.KPIS``) for the period and the one before it, as
    plain numbers (shares 0..1, minutes, money), one row per figure; as ``user`` may see them."""
    client = client_get(user=user, client_id=client_id)
    period = period_of(client=client, since=since, until=until)
    report = client_report(client=client, since=period.since, until=period.until)
    rows = kpis.csv_rows(report_for(report, viewer=user))
    return _csv_chunks(("figure", "label", "this_period", "previous_period", "change"), rows)


def mentions_for_export(*, user: User, client: Client, period: Period) -> QuerySet:
    """The rows of the mentions export (``MENTION_FIELDS``), oldest first."""
    return (
        mention_list(
            user=user,
            filters={"client": client.pk, "since": period.start, "until": period.end},
        )
        .order_by("posted_at", "pk")
        .values_list(*MENTION_FIELDS)
    )


def _mention_rows(mentions, zone: ZoneInfo) -> Iterator[tuple]:
    for (pk, posted_at, client, channel, platform, handle, display_name, text, kind, url,
         sentiment, score, status, priority, needs, acknowledged_at, minutes, team, assignee,
         tags, queries) in _streamed(mentions):  # fmt: skip
        yield (
            pk,
            _when(posted_at, zone),
            safe_text(client),
            safe_text(channel),
            platform,
            safe_text(handle),
            safe_text(display_name),
            safe_text(text),
            kind,
            safe_text(url),
            sentiment,
            _number(score, 4),
            status,
            priority,
            _flag(needs),
            _when(acknowledged_at, zone),
            _number(minutes),
            safe_text(team),
            safe_text(assignee),
            safe_text(";".join(tags)),
            ";".join(map(str, queries)),
        )


def corrections_csv_rows(
    *, user: User, client_id: int, since: date | None, until: date | None
) -> Iterator[bytes]:
    """The client's mentions posted in the period whose sentiment or intent a person corrected,
    with the person's labels beside the model's, oldest first, as CSV."""
    client = client_get(user=user, client_id=client_id)
    period = period_of(client=client, since=since, until=until)
    corrected_at = (
        AuditEntry.objects.filter(object_type="mention", action="correct", object_id=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    mentions = (
        mention_list(
            user=user,
            filters={"client": client.pk, "since": period.start, "until": period.end},
        )
        .filter(sentiment_corrected=True)
        .annotate(corrected_at=Subquery(corrected_at))
        .order_by("posted_at", "pk")
        .values_list(
            "pk", "posted_at", "corrected_at", "channel__name", "platform", "language", "kind",
            "author__handle", "text", "sentiment", "intent", "model_sentiment_score",
            "model_intent",
        )
    )  # fmt: skip
    return _csv_chunks(CORRECTION_HEADER, _correction_rows(mentions, ZoneInfo(client.timezone)))


def _correction_rows(mentions, zone: ZoneInfo) -> Iterator[tuple]:
    for (pk, posted_at, corrected_at, channel, platform, language, kind, handle, text, sentiment,
         intent, model_score, model_intent) in _streamed(mentions):  # fmt: skip
        yield (
            pk, _when(posted_at, zone), _when(corrected_at, zone), safe_text(channel), platform,
            language, kind, safe_text(handle), safe_text(text), sentiment, intent,
            label_for(model_score), _number(model_score), model_intent,
        )  # fmt: skip


def acknowledgements_csv_rows(
    *, user: User, client_id: int, since: date | None, until: date | None
) -> Iterator[bytes]:
    """The acknowledgements given in the period to mentions of a client the user may see,
    oldest first, as CSV (``Client.DoesNotExist`` at once if the user may not see the client)."""
    client = client_get(user=user, client_id=client_id)
    period = period_of(client=client, since=since, until=until)
    acknowledgements = acknowledgements_for_export(user=user, client=client, period=period)
    return _csv_chunks(
        ACKNOWLEDGEMENT_HEADER,
        _acknowledgement_rows(acknowledgements, ZoneInfo(client.timezone)),
    )


def acknowledgements_for_export(*, user: User, client: Client, period: Period) -> QuerySet:
    """The rows of the acknowledgements export (``ACKNOWLEDGEMENT_FIELDS``), oldest first."""
    return (
        acknowledgement_list(user=user)
        .filter(
            mention__client_id=client.pk,
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        .order_by("created_at", "pk")
        .values_list(*ACKNOWLEDGEMENT_FIELDS)
    )


def _acknowledgement_rows(acknowledgements, zone: ZoneInfo) -> Iterator[tuple]:
    for (pk, created_at, mention_id, url, handle, email, kind, text, delivery, personal,
         minutes) in _streamed(acknowledgements):  # fmt: skip
        yield (
            pk,
            _when(created_at, zone),
            mention_id,
            safe_text(url),
            safe_text(handle),
            safe_text(email),
            kind,
            safe_text(text),
            delivery,
            _flag(personal),
            _number(minutes),
        )


def client_everything_csv(*, client: Client) -> dict[str, Iterator[bytes]]:
    """Every mention and acknowledgement of a client, whoever may see them, in the exports'
    columns: the CSV part of a data-rights export."""
    zone = ZoneInfo(client.timezone)
    mentions = (
        Mention.objects.filter(client=client)
        .order_by("posted_at", "pk")
        .values_list(*MENTION_FIELDS)
    )
    acknowledgements = (
        Acknowledgement.objects.filter(client=client)
        .order_by("created_at", "pk")
        .values_list(*ACKNOWLEDGEMENT_FIELDS)
    )
    return {
        "mentions.csv": _csv_chunks(MENTION_HEADER, _mention_rows(mentions, zone)),
        "acknowledgements.csv": _csv_chunks(
            ACKNOWLEDGEMENT_HEADER, _acknowledgement_rows(acknowledgements, zone)
        ),
    }


AUDIT_HEADER = (
    "id",
    "created_at",
    "person",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
)


def audit_csv_rows(entries: QuerySet) -> Iterator[bytes]:
    """The audit entries as CSV (times in UTC; before/after as JSON), every text cell quoted
    against spreadsheet formulas."""
    rows = (
        (
            entry.pk,
            entry.created_at.isoformat(),
            safe_text(entry.actor.email if entry.actor else "system"),
            safe_text(entry.action),
            safe_text(entry.object_type),
            entry.object_id,
            safe_text(json.dumps(entry.before, sort_keys=True, default=str)),
            safe_text(json.dumps(entry.after, sort_keys=True, default=str)),
        )
        for entry in entries.iterator(chunk_size=CHUNK_SIZE)
    )
    return _csv_chunks(AUDIT_HEADER, rows)

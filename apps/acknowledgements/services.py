"""The inbox workflow: assign, acknowledge, dismiss, escalate — one at a time or in bulk.

Every action goes through one service shared by the UI, the API and tests; each runs in one
transaction and writes the audit log (who, what, when, before → after). Replies are posted
through the channel's connector by a Celery task after the transaction commits, with their
delivery status, error and retries recorded on the ``Acknowledgement``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import available_timezones

import holidays as public_holidays
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import Team, User
from apps.accounts.selectors import alert_recipients
from apps.channels.connectors import (
    PLATFORMS,
    REPLY_LENGTH_LIMITS,
    REPLY_PLATFORMS,
    get_connector,
)
from apps.channels.connectors.base import ConnectorError
from apps.clients.models import Client
from apps.core import events, outbox
from apps.core.db import bulk_update_columns
from apps.listening.models import Author, Mention, open_sql
from apps.listening.selectors import mention_list
from apps.listening.sentiment import label_for

from .advocacy import advocacy
from .business_time import ALWAYS_OPEN, add_business_minutes_many, business_minutes_between
from .models import (
    Acknowledgement,
    AuditEntry,
    MentionNote,
    Notification,
    RoutingRule,
    SavedReply,
    SlaBreach,
    SlaPolicy,
    default_targets,
)

logger = logging.getLogger(__name__)
CANNED_AFTER = 2  # the same text sent to this many other people makes a reply canned
CANNED_WINDOW = timedelta(days=30)
_AUDITED_FIELDS = ("status", "assigned_to_id", "team_id", "acknowledged_at")


def _snapshot(mention: Mention) -> dict:
    value = {field: getattr(mention, field) for field in _AUDITED_FIELDS}
    value["acknowledged_at"] = value["acknowledged_at"] and value["acknowledged_at"].isoformat()
    return value


def _audit(actor: User | None, action: str, changes: list[tuple[Mention, dict]], **extra) -> None:
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=actor,
            action=action,
            object_type="mention",
            object_id=mention.pk,
            before=before,
            after={**_snapshot(mention), **extra},
        )
        for mention, before in changes
    )


def _first_name(display_name: str) -> str:
    return (display_name or "").split(" ")[0].lower()


def wording_key(text: str, handle: str, display_name: str) -> str:
    """A digest of a reply's words apart from its addressee's handle and first name: a template
    filled with different names has one key, so canned copies are found by an index probe."""
    if not text.strip():
        return ""
    drop = {handle.lower(), _first_name(display_name)}
    words = " ".join(w for w in re.findall(r"\w+", text.lower()) if w not in drop)
    return hashlib.sha256(words.encode()).hexdigest()


_PLACEHOLDER = re.compile(r"\{(first_name|handle)\}")


def reply_render(*, text: str, mention: Mention) -> str:
    """Fill a saved reply's ``{first_name}`` and ``{handle}`` for the mention's author (other
    braces are left as written: this is not ``str.format``, so a template cannot reach into
    objects)."""
    author = mention.author
    values = {
        "handle": f"@{author.handle}",
        "first_name": (author.display_name or author.handle).split(" ")[0],
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def _addresses(mention: Mention, text: str) -> bool:
    author = mention.author
    first_name = _first_name(author.display_name)
    return any(
        w.lstrip("@") == author.handle or (len(first_name) >= 2 and w == first_name)
        for w in re.findall(r"[\w.@-]+", text.lower())
    )


def _recipients(keys: set[str], client_ids: set[int]) -> dict[tuple[str, int], set[int]]:
    """Who (author ids) got each wording, per client, recently: one query for a whole batch."""
    found: dict[tuple[str, int], set[int]] = defaultdict(set)
    rows = (
        Acknowledgement.objects.filter(
            wording_key__in=keys - {""},
            mention__client_id__in=client_ids,
            created_at__gte=timezone.now() - CANNED_WINDOW,
        )
        .values_list("wording_key", "mention__client_id", "mention__author_id")
        .distinct()
    )
    for key, client_id, author_id in rows:
        found[key, client_id].add(author_id)
    return found


def _copies_sent(mention: Mention, key: str) -> int:
    """How many other people of the client got the same words (names aside) recently."""
    others = _recipients({key}, {mention.client_id})[key, mention.client_id]
    return len(others - {mention.author_id})


def _key(mention: Mention, text: str) -> str:
    return wording_key(text, mention.author.handle, mention.author.display_name)


def reply_warning(*, mentions: list[Mention], text: str) -> str:
    """A warning to show before sending ``text`` (a template or a written reply) to
    ``mentions``, or "" — a canned reply is not a personal acknowledgement."""
    if not text.strip() or not mentions:
        return ""
    rendered = reply_render(text=text, mention=mentions[0])
    people = (
        len({m.author_id for m in mentions})
        - 1
        + _copies_sent(mentions[0], _key(mentions[0], rendered))
    )
    if people < CANNED_AFTER:
        return ""
    return (
        f"The same words would reach {people + 1} people. A canned reply is not a personal "
        "acknowledgement: say something about what each of them wrote."
    )


def mentions_assign(
    *, mentions: Iterable[Mention], actor: User, user: User | None = None, team: Team | None = None
) -> int:
    """Assign mentions to a user or a team; a user must be able to see every one of them (a
    client's user is never given another client's mention, a team member only what is routed
    to their teams)."""
    if (user is None) == (team is None):
        raise ValidationError({"assign": "Assign to a user or to a team."})
    mentions = list(mentions)
    if user is not None:
        ids = {mention.pk for mention in mentions}
        visible = set(mention_list(user=user).filter(pk__in=ids).values_list("pk", flat=True))
        if not user.is_active or visible != ids:
            raise ValidationError(
                {"user": f"{user} cannot see this mention: choose someone who can."}
            )
    with transaction.atomic():
        changes = []
        for mention in mentions:
            before = _snapshot(mention)
            mention.assigned_to, mention.team = user, team
            if mention.status == Mention.Status.NEW:
                mention.status = Mention.Status.ASSIGNED
            changes.append((mention, before))
        bulk_update_columns([m for m, _ in changes], ["assigned_to", "team", "status"])
        _audit(actor, "assign", changes)
    return len(changes)


COLLISION_WINDOW = timedelta(minutes=10)
# Acknowledgements that answer the person (a reaction or an internal resolution does not).
ANSWERING_KINDS = (Acknowledgement.Kind.REPLY, Acknowledgement.Kind.REPLIED_ELSEWHERE)


class ReplyCollision(ValidationError):
    """Someone already answered the same person moments ago: answering again needs ``force``
    (the API answers 409, the inbox asks for confirmation). ``recent`` holds those replies."""

    def __init__(self, recent: list[Acknowledgement]):
        self.recent = recent
        latest = recent[0]
        who = latest.user.email if latest.user else "Someone"
        minutes = max(0, round((timezone.now() - latest.created_at).total_seconds() / 60))
        super().__init__(
            {
                "force": f"{who} answered @{latest.mention.author.handle} {minutes} min ago "
                f"(“{latest.text[:80]}”). Send another reply anyway?"
            }
        )


def recent_replies(*, mentions: list[Mention]) -> list[Acknowledgement]:
    """Replies to the people of ``mentions`` (same author, same client, any mention) in the last
    ``COLLISION_WINDOW``, newest first — one query (the client's latest acknowledgements, by
    ack_client_created_idx)."""
    if not mentions:
        return []
    return list(
        Acknowledgement.objects.filter(
            client_id__in={m.client_id for m in mentions},
            mention__author_id__in={m.author_id for m in mentions},
            kind__in=ANSWERING_KINDS,
            created_at__gte=timezone.now() - COLLISION_WINDOW,
        )
        .select_related("user", "mention__author")
        .order_by("-created_at", "-pk")
    )


def mentions_acknowledge(
    *,
    mentions: Iterable[Mention],
    user: User,
    kind: str,
    text: str = "",
    at: datetime | None = None,
    force: bool = False,
) -> list[Acknowledgement]:
    """Acknowledge mentions (by a person: automated replies never count). ``text`` may be a saved
    reply's template, filled for each person (``reply_render``). Replies are queued for delivery
    through each mention's channel once the transaction commits.

    ``at`` records when a reply made elsewhere (or an internal resolution) happened, if not now.
    A reply now to someone answered less than ``COLLISION_WINDOW`` ago raises
    ``ReplyCollision`` unless ``force``.
    """
    if kind not in Acknowledgement.Kind.values:
        raise ValidationError(
            {"kind": f"Unknown kind; expected one of {Acknowledgement.Kind.values}."}
        )
    mentions = list(mentions)
    now = timezone.now()
    if at is not None:
        _check_recorded_time(at, now=now, kind=kind, mentions=mentions)
    if kind in ANSWERING_KINDS and at is None and not force:  # (a recorded past one happened)
        recent = recent_replies(mentions=mentions)
        if recent:
            raise ReplyCollision(recent)
    if kind == Acknowledgement.Kind.REPLY:
        if not text.strip():
            raise ValidationError({"text": "A reply needs text."})
        for mention in mentions:
            if mention.channel.listen_only:
                raise ValidationError(
                    {"kind": f"'{mention.channel.name}' is listen-only: Rapport never posts there."}
                )
            if mention.platform not in REPLY_PLATFORMS:
                raise ValidationError(
                    {
                        "kind": f"{mention.channel.get_platform_display()} does not take replies; "
                        "record a reply made elsewhere instead."
                    }
                )
    if kind == Acknowledgement.Kind.REPLY:
        for mention in mentions:
            limit = REPLY_LENGTH_LIMITS.get(mention.platform)
            length = len(reply_render(text=text, mention=mention))
            if limit and length > limit:
                raise ValidationError(
                    {
                        "text": f"{length} characters: "
                        f"{mention.channel.get_platform_display()} takes at most {limit}."
                    }
                )
    delivery = (
        Acknowledgement.Delivery.PENDING
        if kind == Acknowledgement.Kind.REPLY
        else Acknowledgement.Delivery.NOT_SENT
    )
    policies = {
        policy.client_id: policy
        for policy in SlaPolicy.objects.filter(client_id__in={m.client_id for m in mentions})
    }
    hours_by_client = {client_id: policy.business_hours() for client_id, policy in policies.items()}
    _give_due_dates([m for m in mentions if m.sla_due_at is None], policies, hours_by_client)
    when = at or now
    replies = [(mention, reply_render(text=text, mention=mention)) for mention in mentions]
    keys = {_key(mention, reply) for mention, reply in replies}
    recipients = _recipients(keys, {mention.client_id for mention in mentions})
    with transaction.atomic():
        acknowledgements, changes = [], []
        for mention, reply in replies:
            before = _snapshot(mention)
            mention.status = Mention.Status.ACKNOWLEDGED
            first_response = None
            if mention.acknowledged_at is None:  # the first acknowledgement stops the clock
                mention.acknowledged_at = when
                mention.time_to_acknowledge_minutes = first_response = round(
                    business_minutes_between(
                        mention.posted_at, when, hours_by_client.get(mention.client_id, ALWAYS_OPEN)
                    ),
                    1,
                )
            changes.append((mention, before))
            key = _key(mention, reply)
            got = recipients[key, mention.client_id]  # earlier ones and this batch's so far
            canned = len(got - {mention.author_id}) >= CANNED_AFTER
            got.add(mention.author_id)
            acknowledgements.append(
                Acknowledgement(
                    mention=mention,
                    client_id=mention.client_id,
                    first_response_minutes=first_response,
                    user=user,
                    kind=kind,
                    text=reply,
                    created_at=when,
                    delivery_status=delivery,
                    wording_key=key,
                    is_personal=bool(key) and _addresses(mention, reply) and not canned,
                )
            )
        bulk_update_columns(
            [m for m, _ in changes],
            ["status", "acknowledged_at", "time_to_acknowledge_minutes", "sla_due_at"],
        )
        Acknowledgement.objects.bulk_create(acknowledgements)
        _audit(user, "acknowledge", changes, kind=kind)
        events.mentions_acknowledged.publish(acknowledgements=acknowledgements)
        if delivery == Acknowledgement.Delivery.PENDING:
            _queue_delivery([ack.pk for ack in acknowledgements])
    return acknowledgements


def _give_due_dates(mentions: list[Mention], policies: dict, hours_by_client: dict) -> None:
    """Set the SLA due date of mentions acknowledged before the periodic check gave them one,
    so that attainment counts them too."""
    by_client: dict[int, list[Mention]] = defaultdict(list)
    for mention in mentions:
        if mention.client_id in policies:
            by_client[mention.client_id].append(mention)
    for client_id, group in by_client.items():
        policy = policies[client_id]
        dues = add_business_minutes_many(
            [m.posted_at for m in group],
            [policy.target_minutes(m.priority, follow_up=m.is_follow_up) for m in group],
            hours_by_client[client_id],
        )
        for mention, due in zip(group, dues, strict=True):
            mention.sla_due_at = due


def _check_recorded_time(at: datetime, *, now: datetime, kind: str, mentions: list[Mention]):
    if kind == Acknowledgement.Kind.REPLY:
        raise ValidationError({"at": "A reply through the channel is sent now."})
    if at > now:
        raise ValidationError({"at": "An acknowledgement cannot be recorded in the future."})
    if any(at < mention.posted_at for mention in mentions):
        raise ValidationError({"at": "A mention cannot be acknowledged before it was posted."})


def mention_acknowledge(
    *,
    mention: Mention,
    user: User,
    kind: str,
    text: str = "",
    at: datetime | None = None,
    force: bool = False,
) -> Acknowledgement:
    return mentions_acknowledge(
        mentions=[mention], user=user, kind=kind, text=text, at=at, force=force
    )[0]


def mentions_dismiss(*, mentions: Iterable[Mention], user: User, reason: str) -> int:
    if not reason.strip():
        raise ValidationError({"reason": "Say why this mention needs no acknowledgement."})
    with transaction.atomic():
        changes = []
        for mention in mentions:
            before = _snapshot(mention)
            mention.status = Mention.Status.DISMISSED
            changes.append((mention, before))
        bulk_update_columns([m for m, _ in changes], ["status"])
        _audit(user, "dismiss", changes, reason=reason.strip())
    return len(changes)


def mentions_escalate(*, mentions: Iterable[Mention], user: User, team: Team, note: str) -> int:
    """Hand mentions to a team with a note saying what is needed."""
    if not note.strip():
        raise ValidationError({"note": "Tell the team what is needed."})
    with transaction.atomic():
        changes = []
        for mention in mentions:
            before = _snapshot(mention)
            mention.status, mention.team = Mention.Status.ESCALATED, team
            changes.append((mention, before))
        bulk_update_columns([m for m, _ in changes], ["status", "team"])
        _audit(user, "escalate", changes, note=note.strip())
    return len(changes)


def mention_escalate(*, mention: Mention, user: User, team: Team, note: str) -> Mention:
    mentions_escalate(mentions=[mention], user=user, team=team, note=note)
    return mention


# --- label corrections ---------------------------------------------------------------------------

# The score a corrected label gets when the model's own score reads as another label: the middle
# of that label's band, so averages and "sentiment below" rules follow the correction.
CORRECTED_SCORES = {
    Mention.Sentiment.POSITIVE: 0.5,
    Mention.Sentiment.NEUTRAL: 0.0,
    Mention.Sentiment.NEGATIVE: -0.5,
}


def _labels(mention: Mention) -> dict:
    return {
        "sentiment": mention.sentiment,
        "intent": mention.intent,
        "sentiment_score": mention.sentiment_score,
    }


def mention_labels_correct(
    *, mention: Mention, user: User, sentiment: str = "", intent: str = ""
) -> Mention:
    """A person's sentiment and/or intent for ``mention``: it replaces the model's labels in every
    report, list and export, is never re-scored, and is audited (who, before → after). The
    model's first score and intent are kept (``model_sentiment_score``, ``model_intent``).

    Agency staff only: client users may not relabel what their agency reports to them.
    """
    if user.is_client_user:
        raise PermissionDenied("Only agency staff can correct labels.")
    errors = {}
    if sentiment and sentiment not in Mention.Sentiment.values:
        errors["sentiment"] = f"Choose one of {', '.join(Mention.Sentiment.values)}."
    if intent and intent not in Mention.Intent.values:
        errors["intent"] = f"Choose one of {', '.join(Mention.Intent.values)}."
    if not (sentiment or intent) and not errors:
        errors["sentiment"] = "Give a sentiment or an intent."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        mention = Mention.objects.select_for_update().get(pk=mention.pk)
        before = _labels(mention)
        if not mention.sentiment_corrected:
            mention.model_sentiment_score = mention.sentiment_score
            mention.model_intent = mention.intent
        if sentiment:
            model_score = mention.model_sentiment_score
            keeps_model_score = model_score is not None and label_for(model_score) == sentiment
            mention.sentiment = sentiment
            mention.sentiment_score = (
                model_score if keeps_model_score else CORRECTED_SCORES[sentiment]
            )
        if intent:
            mention.intent = intent
        after = _labels(mention)
        if after == before and mention.sentiment_corrected:
            return mention
        mention.sentiment_corrected = True
        mention.save(
            update_fields=[
                "sentiment", "sentiment_score", "intent", "sentiment_corrected",
                "model_sentiment_score", "model_intent",
            ]
        )  # fmt: skip
        AuditEntry.objects.create(
            actor=user, action="correct", object_type="mention", object_id=mention.pk,
            before=before, after=after,
        )  # fmt: skip
    return mention


ACTIONS = ("acknowledge", "assign", "dismiss", "escalate")


def mentions_act(
    *,
    mentions: list[Mention],
    user: User,
    action: str,
    kind: str = "",
    text: str = "",
    assignee: User | None = None,
    team: Team | None = None,
    reason: str = "",
    note: str = "",
    force: bool = False,
) -> str:
    """One inbox action on many mentions (the bulk of the inbox and of the API), in the caller's
    transaction. Returns the canned-reply warning of an acknowledgement, or ""."""
    if action == "acknowledge":
        warning = reply_warning(mentions=mentions, text=text)
        mentions_acknowledge(mentions=mentions, user=user, kind=kind, text=text, force=force)
        return warning
    if action == "assign":
        mentions_assign(mentions=mentions, actor=user, user=assignee, team=team)
    elif action == "dismiss":
        mentions_dismiss(mentions=mentions, user=user, reason=reason)
    elif action == "escalate":
        if team is None:
            raise ValidationError({"team": "Escalate to which team?"})
        mentions_escalate(mentions=mentions, user=user, team=team, note=note)
    else:
        raise ValidationError({"action": f"Unknown action; expected one of {ACTIONS}."})
    return ""


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


# --- SLAs ----------------------------------------------------------------------------------------

DUE_BATCH = 5000
MAX_LISTED = 50  # breaches listed by name in one e-mail


def _open_mentions():
    return Mention.objects.open()


def sla_due_dates_assign() -> int:
    """Give open mentions of clients with an SLA policy their due date (business time): the
    first-acknowledgement target of their priority, or for a follow-up in an acknowledged
    conversation the policy's next-response target."""
    assigned = 0
    for policy in SlaPolicy.objects.select_related("client"):
        hours = policy.business_hours()
        while True:
            batch = list(
                _open_mentions()
                .filter(client_id=policy.client_id, sla_due_at__isnull=True)
                .values_list("id", "posted_at", "priority", "is_follow_up")[:DUE_BATCH]
            )
            if not batch:
                break
            dues = add_business_minutes_many(
                [posted_at for _, posted_at, _, _ in batch],
                [
                    policy.target_minutes(priority, follow_up=follow_up)
                    for _, _, priority, follow_up in batch
                ],
                hours,
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Mention._meta.db_table} m SET sla_due_at = due.at "  # noqa: S608
                    "FROM unnest(%s::bigint[], %s::timestamptz[]) AS due(id, at) "
                    "WHERE m.id = due.id",
                    [[pk for pk, *_ in batch], dues],
                )
            assigned += len(batch)
    return assigned


def sla_breaches_detect(*, now=None, notify: bool = True) -> list[int]:
    """Record a breach for every open mention past its due date — once, however many checks
    run at the same time (the breach is unique per mention) — and notify about the new ones
    (``notify=False`` records them as already notified: history loaded after the fact)."""
    now = now or timezone.now()
    sla_due_dates_assign()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {SlaBreach._meta.db_table}
                (mention_id, kind, due_at, detected_at, notified)
            SELECT id, CASE WHEN is_follow_up THEN 'next' ELSE 'first' END, sla_due_at, %s, %s
            FROM {Mention._meta.db_table}
            WHERE {open_sql()} AND sla_due_at <= %s
            ON CONFLICT (mention_id) DO NOTHING
            RETURNING id
            """,  # noqa: S608
            [now, not notify, now],
        )
        new = [pk for (pk,) in cursor.fetchall()]
    if new and notify:
        events.slas_breached.publish(breaches=list(SlaBreach.objects.filter(pk__in=new)))
        sla_breaches_notify()
    return new


def sla_breaches_notify() -> int:
    """E-mail the agency's owners and managers about breaches not yet notified — each breach
    once: they are claimed in one UPDATE, so concurrent checks never both send it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SlaBreach._meta.db_table} SET notified = true "  # noqa: S608
            "WHERE NOT notified RETURNING id"
        )
        claimed = [pk for (pk,) in cursor.fetchall()]
    if not claimed:
        return 0
    shown = (
        SlaBreach.objects.filter(pk__in=claimed[: MAX_LISTED * 20])
        .select_related("mention__client", "mention__author")
        .order_by("due_at")[:MAX_LISTED]
    )
    recipients = alert_recipients()
    if recipients:
        lines = [
            f"- {b.mention.client.name}: @{b.mention.author.handle} — due "
            f"{b.due_at:%Y-%m-%d %H:%M} UTC — {b.mention.text[:80]}"
            for b in shown
        ]
        more = len(claimed) - len(lines)
        send_mail(
            subject=f"[Rapport] {len(claimed)} mention(s) missed their SLA",
            message="Nobody has acknowledged these people in time:\n\n"
            + "\n".join(lines)
            + (f"\n…and {more} more." if more > 0 else ""),
            from_email=None,
            recipient_list=recipients,
        )
    return len(claimed)


# --- saved replies -------------------------------------------------------------------------------

_ANY_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _validate_saved_reply(*, title: str, text: str) -> None:
    errors = {}
    if not title.strip():
        errors["title"] = "Give the saved reply a title."
    if not text.strip():
        errors["text"] = "A saved reply needs text."
    unknown = sorted({name for name in _ANY_PLACEHOLDER.findall(text)} - {"first_name", "handle"})
    if unknown:
        errors["text"] = f"Unknown placeholder {{{unknown[0]}}}: use {{first_name}} or {{handle}}."
    if errors:
        raise ValidationError(errors)


SAMPLE_AUTHOR = SimpleNamespace(handle="ana.lima", display_name="Ana Lima")


def saved_reply_preview(*, text: str) -> str:
    """The reply as a sample person (Ana Lima, @ana.lima) would receive it."""
    return reply_render(text=text, mention=SimpleNamespace(author=SAMPLE_AUTHOR))


def _saved_reply_audit(user: User | None, action: str, reply: SavedReply, before: dict) -> None:
    AuditEntry.objects.create(
        actor=user, action=action, object_type="saved_reply", object_id=reply.pk, before=before,
        after={"title": reply.title, "text": reply.text, "client": reply.client_id},
    )  # fmt: skip


@transaction.atomic
def saved_reply_create(
    *, title: str, text: str, user: User, client: Client | None = None
) -> SavedReply:
    """A reusable reply for one client (or, without one, for every client)."""
    _validate_saved_reply(title=title, text=text)
    reply = SavedReply.objects.create(
        client=client, title=title.strip(), text=text.strip(), created_by=user
    )
    _saved_reply_audit(user, "create", reply, {})
    return reply


@transaction.atomic
def saved_reply_update(
    *, saved_reply: SavedReply, title: str, text: str, user: User | None = None
) -> SavedReply:
    _validate_saved_reply(title=title, text=text)
    before = {"title": saved_reply.title, "text": saved_reply.text, "client": saved_reply.client_id}
    saved_reply.title, saved_reply.text = title.strip(), text.strip()
    saved_reply.save(update_fields=["title", "text"])
    _saved_reply_audit(user, "update", saved_reply, before)
    return saved_reply


# --- advocacy ------------------------------------------------------------------------------------


def advocates_refresh() -> int:
    """Recompute every author's advocate flag and ``advocate_since`` (one UPDATE): an advocate
    spoke positively of a client, unprompted (``advocacy``), after that client first
    acknowledged them; anyone else is not (spammers, the brand, people who only thanked us
    under our reply). Ingest marks new advocates page by page; this catches up after
    acknowledgements recorded afterwards (imports, the demo) and after corrections."""
    author, mention = Author._meta.db_table, Mention._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH first_ack AS (
                SELECT author_id, client_id, min(acknowledged_at) AS acknowledged_at
                FROM {mention} WHERE acknowledged_at IS NOT NULL
                GROUP BY author_id, client_id
            ), praise AS (
                SELECT later.author_id, min(later.posted_at) AS first_at
                FROM {mention} later
                JOIN first_ack ON first_ack.author_id = later.author_id
                              AND first_ack.client_id = later.client_id
                WHERE later.posted_at > first_ack.acknowledged_at AND {advocacy("later")}
                GROUP BY later.author_id
            )
            UPDATE {author} author
            SET is_advocate = praise.first_at IS NOT NULL, advocate_since = praise.first_at
            FROM {author} everyone LEFT JOIN praise ON praise.author_id = everyone.id
            WHERE author.id = everyone.id
              AND (author.is_advocate, author.advocate_since)
                  IS DISTINCT FROM (praise.first_at IS NOT NULL, praise.first_at)
            """  # noqa: S608 - names from model metadata
        )
        return cursor.rowcount


# --- SLA policies --------------------------------------------------------------------------------

MAX_TARGET_MINUTES = 60 * 24 * 90  # a target beyond 90 days of business time is a typo
MIDNIGHT = time(0, 0)


def _sla_snapshot(policy: SlaPolicy) -> dict:
    return {
        "targets": dict(policy.targets or {}),
        "next_response_minutes": policy.next_response_minutes,
        "business_hours_only": policy.business_hours_only,
        "timezone": policy.timezone,
        "opens_at": str(policy.opens_at),
        "closes_at": str(policy.closes_at),
        "open_weekdays": list(policy.open_weekdays),
        "holiday_country": policy.holiday_country,
        "holiday_subdivision": policy.holiday_subdivision,
        "holidays": [str(day) for day in policy.holidays],
    }


def _validate_holiday_region(country: str, subdivision: str, errors: dict) -> None:
    if not country:
        if subdivision:
            errors["holiday_subdivision"] = "Choose the country of this subdivision."
        return
    supported = public_holidays.list_supported_countries()
    if country not in supported:
        errors["holiday_country"] = (
            f"No public holidays are known for country '{country}': use an ISO code such as "
            "US, GB or DE."
        )
    elif subdivision and subdivision not in supported[country]:
        errors["holiday_subdivision"] = (
            f"'{subdivision}' is not a subdivision of {country}: one of "
            f"{', '.join(supported[country][:12])}{'…' if len(supported[country]) > 12 else ''}."
        )


def sla_policy_update(
    *,
    client: Client,
    user: User | None,
    targets: dict[str, int],
    business_hours_only: bool,
    timezone: str,
    opens_at: time,
    closes_at: time,
    open_weekdays: Iterable[int],
    holiday_country: str = "",
    holiday_subdivision: str = "",
    holidays: Iterable[date] = (),
    next_response_minutes: int | None = None,
) -> SlaPolicy:
    """Set a client's SLA policy (creating it the first time). Field errors name the field:
    ``target_<priority>``, ``next_response_minutes``, ``timezone``, ``closes_at``,
    ``open_weekdays``, ``holiday_country``, ``holiday_subdivision``. Mentions given a due date
    from then on follow the new policy."""
    errors: dict[str, str] = {}
    clean_targets = {}
    for priority in default_targets():
        value = targets.get(priority)
        if value is None or int(value) < 1 or int(value) > MAX_TARGET_MINUTES:
            errors[f"target_{priority}"] = (
                f"Give a target between 1 and {MAX_TARGET_MINUTES} minutes."
            )
        else:
            clean_targets[priority] = int(value)
    if next_response_minutes is not None and not 1 <= next_response_minutes <= MAX_TARGET_MINUTES:
        errors["next_response_minutes"] = (
            f"Give a target between 1 and {MAX_TARGET_MINUTES} minutes."
        )
    timezone = timezone.strip()
    if timezone not in available_timezones():
        errors["timezone"] = f"Unknown time zone '{timezone}': use an IANA name (Europe/Paris)."
    weekdays = sorted(set(open_weekdays))
    if any(day not in range(7) for day in weekdays):
        errors["open_weekdays"] = "Weekdays run from 0 (Monday) to 6 (Sunday)."
    if business_hours_only:
        if not weekdays:
            errors["open_weekdays"] = "Choose at least one open weekday."
        if closes_at != MIDNIGHT and closes_at <= opens_at:
            errors["closes_at"] = "Closing time must be after opening time (00:00 is midnight)."
    country, subdivision = holiday_country.strip().upper(), holiday_subdivision.strip().upper()
    _validate_holiday_region(country, subdivision, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        policy = SlaPolicy.objects.select_for_update().filter(client=client).first()
        created = policy is None
        policy = policy or SlaPolicy(client=client)
        before = {} if created else _sla_snapshot(policy)
        policy.targets = clean_targets
        if next_response_minutes is not None:  # else kept (or the default, for a new policy)
            policy.next_response_minutes = next_response_minutes
        policy.business_hours_only = business_hours_only
        policy.timezone = timezone
        policy.opens_at, policy.closes_at = opens_at, closes_at
        policy.open_weekdays = weekdays
        policy.holiday_country, policy.holiday_subdivision = country, subdivision
        policy.holidays = sorted(set(holidays))
        try:
            policy.business_hours()
        except ValueError as error:
            raise ValidationError(str(error)) from error
        policy.save()
        after = _sla_snapshot(policy)
        if created or after != before:
            AuditEntry.objects.create(
                actor=user, action="create" if created else "update", object_type="sla_policy",
                object_id=policy.pk, before=before, after=after,
            )  # fmt: skip
    return policy


# --- routing rules -------------------------------------------------------------------------------

ROUTING_FIELDS = (
    "name", "is_active", "query", "keywords", "sentiment_below", "intent", "author_is_customer",
    "min_influence", "platform", "set_priority", "set_team", "set_assignee", "add_tag",
    "auto_dismiss",
)  # fmt: skip
MAX_KEYWORDS = 50


def _rule_snapshot(rule: RoutingRule) -> dict:
    value = {}
    for field in ROUTING_FIELDS:
        if field in ("query", "set_team", "set_assignee"):
            value[f"{field}_id"] = getattr(rule, f"{field}_id")
        else:
            value[field] = getattr(rule, field)
    value["keywords"] = list(value["keywords"])
    value["position"] = rule.position
    return value


def _audit_rule(user: User | None, action: str, rule: RoutingRule, before: dict) -> None:
    AuditEntry.objects.create(
        actor=user, action=action, object_type="routing_rule", object_id=rule.pk,
        before=before, after={} if action == "delete" else _rule_snapshot(rule),
    )  # fmt: skip


def _clean_rule_fields(*, client: Client, fields: dict) -> dict:
    """Check a rule's conditions and actions; raise field errors named after the fields."""
    unknown = set(fields) - set(ROUTING_FIELDS)
    if unknown:
        raise TypeError(f"Unknown routing rule fields: {sorted(unknown)}")
    values = {
        "name": "", "is_active": True, "query": None, "keywords": [], "sentiment_below": None,
        "intent": "", "author_is_customer": False, "min_influence": None, "platform": "",
        "set_priority": "", "set_team": None, "set_assignee": None, "add_tag": "",
        "auto_dismiss": False,
    } | fields  # fmt: skip
    errors: dict[str, str] = {}
    values["name"] = (values["name"] or "").strip()
    if not values["name"]:
        errors["name"] = "Give the rule a name."
    elif len(values["name"]) > 200:
        errors["name"] = "Keep the name under 200 characters."
    query = values["query"]
    if query is not None and query.client_id != client.pk:
        errors["query"] = "Choose one of this client's queries."
    keywords = list(dict.fromkeys(k.strip() for k in values["keywords"] or [] if k.strip()))
    if len(keywords) > MAX_KEYWORDS:
        errors["keywords"] = f"At most {MAX_KEYWORDS} keywords."
    elif any(len(k) > 100 for k in keywords):
        errors["keywords"] = "Keep each keyword under 100 characters."
    values["keywords"] = keywords
    sentiment = values["sentiment_below"]
    if sentiment is not None and not -1 <= sentiment <= 1:
        errors["sentiment_below"] = "Sentiment runs from -1 (negative) to 1 (positive)."
    values["intent"] = values["intent"] or ""
    if values["intent"] and values["intent"] not in Mention.Intent.values:
        errors["intent"] = f"Unknown intent '{values['intent']}'."
    influence = values["min_influence"]
    if influence is not None and not 0 <= influence <= 100:
        errors["min_influence"] = "Influence runs from 0 to 100."
    if values["platform"] and values["platform"] not in PLATFORMS:
        errors["platform"] = f"Unknown platform '{values['platform']}'."
    if values["set_priority"] and values["set_priority"] not in Mention.Priority.values:
        errors["set_priority"] = f"Unknown priority '{values['set_priority']}'."
    assignee = values["set_assignee"]
    if assignee is not None and (assignee.is_client_user or not assignee.is_active):
        errors["set_assignee"] = "Assign to an active member of the agency."
    values["add_tag"] = (values["add_tag"] or "").strip()
    if len(values["add_tag"]) > 100:
        errors["add_tag"] = "Keep the tag under 100 characters."
    has_action = any(
        values[f] for f in ("set_priority", "set_team", "set_assignee", "add_tag", "auto_dismiss")
    )
    if not has_action and not errors:
        errors["__all__"] = "Choose at least one action: a rule without one does nothing."
    if errors:
        raise ValidationError(errors)
    return values


def routing_rule_create(*, client: Client, user: User | None, **fields) -> RoutingRule:
    """Add a rule after the client's others (it runs last)."""
    values = _clean_rule_fields(client=client, fields=fields)
    with transaction.atomic():
        rules = list(RoutingRule.objects.select_for_update().filter(client=client))
        position = max((rule.position for rule in rules), default=-1) + 1
        rule = RoutingRule.objects.create(client=client, position=position, **values)
        _audit_rule(user, "create", rule, {})
    return rule


def routing_rule_update(*, rule: RoutingRule, user: User | None, **fields) -> RoutingRule:
    values = _clean_rule_fields(client=rule.client, fields=fields)
    with transaction.atomic():
        before = _rule_snapshot(rule)
        for field, value in values.items():
            setattr(rule, field, value)
        rule.save()
        if _rule_snapshot(rule) != before:
            _audit_rule(user, "update", rule, before)
    return rule


def routing_rule_delete(*, rule: RoutingRule, user: User | None) -> None:
    with transaction.atomic():
        before, pk = _rule_snapshot(rule), rule.pk
        rule.delete()
        rule.pk = pk
        _audit_rule(user, "delete", rule, before)


def routing_rule_move(*, rule: RoutingRule, user: User | None, direction: str) -> RoutingRule:
    """Move a rule one place ``"up"`` (earlier) or ``"down"`` (later) among its client's rules;
    the client's positions are renumbered 0, 1, 2… in the same transaction."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move a rule up or down."})
    with transaction.atomic():
        rules = list(
            RoutingRule.objects.select_for_update()
            .filter(client_id=rule.client_id)
            .order_by("position", "id")
        )
        index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(rules):
            return rule
        before = _rule_snapshot(rules[index])
        rules[index], rules[other] = rules[other], rules[index]
        for position, each in enumerate(rules):
            each.position = position
        RoutingRule.objects.bulk_update(rules, ["position"])
        moved = rules[other]
        _audit_rule(user, f"move_{direction}", moved, before)
    rule.position = moved.position
    return rule


# --- internal notes ------------------------------------------------------------------------------

MAX_NOTE_LENGTH = 5000
_AT_NAME = re.compile(r"(?<![\w.])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w.+-]*\w)")


def note_mentioned_users(*, text: str) -> list[User]:
    """The teammates a note's ``@name``s address: an ``@`` followed by a whole e-mail address,
    its part before the ``@``, or a first name (case-insensitive) — active agency staff and team
    members only (client users never see notes)."""
    names = {name.lower() for name in _AT_NAME.findall(text)}
    if not names:
        return []
    staff = User.objects.filter(
        is_active=True, role__in=[*User.STAFF_ROLES, User.Role.TEAM_MEMBER]
    ).order_by("email")
    return [
        user
        for user in staff
        if {user.email.lower(), user.email.split("@")[0].lower(), user.first_name.lower()} & names
    ]


def mention_note_add(*, mention: Mention, user: User, text: str) -> MentionNote:
    """Add an internal note to a mention: shown in its conversation and audit log, never
    posted. Each teammate it ``@``-mentions gets an in-app notification and an e-mail (sent
    once the note is committed)."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the note."})
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError({"text": f"Keep a note under {MAX_NOTE_LENGTH} characters."})
    mentioned = [
        person
        for person in note_mentioned_users(text=text)
        if person.pk != user.pk
        # a team member sees only what is routed to a team of theirs: tell only those who can
        and (
            person.role != User.Role.TEAM_MEMBER or person.teams.filter(pk=mention.team_id).exists()
        )
    ]
    with transaction.atomic():
        note = MentionNote.objects.create(mention=mention, author=user, text=text)
        note.mentioned.set(mentioned)
        summary = f"{user.email} mentioned you in a note on @{mention.author.handle}: {text}"
        Notification.objects.bulk_create(
            Notification(
                user=person,
                kind=Notification.Kind.NOTE_MENTION,
                mention=mention,
                note=note,
                text=summary[:500],
            )
            for person in mentioned
        )
        AuditEntry.objects.create(
            actor=user, action="note", object_type="mention", object_id=mention.pk,
            after={"note": text, "mentioned": ", ".join(p.email for p in mentioned)},
        )  # fmt: skip
        if mentioned:
            recipients = [person.email for person in mentioned]
            transaction.on_commit(
                lambda: send_mail(
                    subject=f"[Rapport] {user.email} mentioned you in a note",
                    message=f"{summary}\n\nOpen the conversation: /inbox/{mention.pk}/",
                    from_email=None,
                    recipient_list=recipients,
                )
            )
    return note


def notifications_mark_read(*, user: User) -> int:
    """Mark all of ``user``'s unread notifications read."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )

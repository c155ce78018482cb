"""The inbox actions on mentions: assign, acknowledge, dismiss, escalate (one or in bulk),
and people's corrections of the labels."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Team, User
from apps.channels.connectors import REPLY_LENGTH_LIMITS, REPLY_PLATFORMS
from apps.core import events
from apps.core.db import bulk_update_columns
from apps.listening.models import Mention
from apps.listening.selectors import mention_list
from apps.listening.sentiment import label_for

from ..business_time import ALWAYS_OPEN, add_business_minutes_many, business_minutes_between
from ..models import Acknowledgement, AuditEntry, SlaPolicy
from .delivery import _queue_delivery
from .replies import (
    ANSWERING_KINDS,
    CANNED_AFTER,
    ReplyCollision,
    _addresses,
    _key,
    _recipients,
    recent_replies,
    reply_render,
    reply_warning,
)

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

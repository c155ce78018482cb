"""Acknowledgements (who answered whom, how) and the audit log of every inbox action."""

from datetime import time

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F
from django.utils import timezone

from apps.listening.models import Mention

from .business_time import BusinessHours


def weekdays_default() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday


def _as_time(value: time | str) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)


class Acknowledgement(models.Model):
    """A person's acknowledgement of a mention: a reply, a reaction, or one made elsewhere."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply through the channel"
        REACTION = "reaction", "Reaction"
        REPLIED_ELSEWHERE = "replied_elsewhere", "Replied elsewhere"
        RESOLVED_INTERNALLY = "resolved_internally", "Resolved internally"

    class Delivery(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        NOT_SENT = "not_sent", "Nothing to send"

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="acknowledgements")
    # The mention's client and, for the acknowledgement that answered it first, its business
    # minutes: per-member figures then read this table alone.
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    first_response_minutes = models.FloatField(
        null=True, blank=True, help_text="Set on the first acknowledgement of its mention."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
        related_name="acknowledgements",
    )  # fmt: skip
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    external_id = models.CharField(max_length=500, blank=True, default="")
    external_url = models.URLField(max_length=2000, blank=True, default="")
    delivery_status = models.CharField(
        max_length=10, choices=Delivery.choices, default=Delivery.NOT_SENT
    )
    delivery_error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    wording_key = models.CharField(
        max_length=64, blank=True, default="",
        help_text="Digest of the words apart from the addressee's names (services.wording_key).",
    )  # fmt: skip
    is_personal = models.BooleanField(
        default=False,
        help_text="Addresses the person by name or handle and is not a canned copy of others.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["mention", "created_at"], name="ack_mention_idx"),
            # The API's list, newest first (keyset pages), all of it or one person's.
            models.Index(F("created_at").desc(), F("id").desc(), name="ack_created_idx"),
            models.Index(
                F("user"), F("created_at").desc(), F("id").desc(), name="ack_user_created_idx"
            ),
            # Reports: a period's acknowledgements per member, read from the index alone.
            models.Index(
                fields=["client", "created_at"],
                name="ack_client_created_idx",
                include=["user", "first_response_minutes"],
            ),
            # Canned copies: the same words sent to others (services.mentions_acknowledge).
            models.Index(
                fields=["wording_key", "created_at"],
                name="ack_wording_idx",
                condition=~models.Q(wording_key=""),
            ),
            # Ingest looks replies up by their id on the platform: a follow-up answers one.
            models.Index(
                fields=["external_id"],
                name="ack_external_id_idx",
                condition=~models.Q(external_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.mention_id} ({self.delivery_status})"


class AcknowledgementHour(models.Model):
    """How many acknowledgements one person gave a client in one UTC ``hour``, per quarter of it
    (minutes 0-14, 15-29, 30-44, 45-59): the per-member ``replies`` and ``in_hours`` of a period
    sum whole quarters here, whatever the business hours or the time zones (every zone's offset
    is a whole number of quarters). Rows are deltas written by statement triggers in each
    change's transaction (migration ``0011_member_rollups``), summed when read and merged by
    ``rollups.member_rollups_compact``."""

    client_id = models.BigIntegerField()
    user_id = models.BigIntegerField()
    hour = models.DateTimeField()
    quarter_0 = models.IntegerField()
    quarter_1 = models.IntegerField()
    quarter_2 = models.IntegerField()
    quarter_3 = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["client_id", "hour"], name="ack_hour_client_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.user_id} {self.hour:%Y-%m-%d %H}h"


class FirstResponseDay(models.Model):
    """How many first responses (acknowledgements with ``first_response_minutes``) one person
    gave a client on one local day (the client's time zone) in one ``bucket`` of minutes
    (``core.buckets.BUCKET_SQL``, about 6 % wide): a percentile finds its bucket from these
    counts and reads that bucket's acknowledgements alone. Deltas, kept like
    ``AcknowledgementHour``; a client's days are rebuilt when its time zone changes."""

    client_id = models.BigIntegerField()
    user_id = models.BigIntegerField()
    day = models.DateField()
    bucket = models.SmallIntegerField()
    responses = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["client_id", "day"], name="first_response_day_client_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.user_id} {self.day}: {self.responses} in {self.bucket}"


class AuditEntry(models.Model):
    """Who did what to which object, when, and how it looked before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class SavedReply(models.Model):
    """A reply written once and reused: ``{first_name}`` and ``{handle}`` are filled per person.

    A saved reply without a client is offered for every client.
    """

    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE,
        related_name="saved_replies",
    )  # fmt: skip
    title = models.CharField(max_length=200)
    text = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name_plural = "saved replies"

    def __str__(self) -> str:
        return self.title


DEFAULT_NEXT_RESPONSE_MINUTES = 120


def default_targets() -> dict[str, int]:
    """First-acknowledgement targets in business minutes, by mention priority."""
    return {"urgent": 15, "high": 60, "normal": 240, "low": 1440}


class SlaPolicy(models.Model):
    """A client's promise: how fast each person is first acknowledged, in business time."""

    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, related_name="sla_policy"
    )
    targets = models.JSONField(default=default_targets)
    next_response_minutes = models.PositiveIntegerField(
        default=DEFAULT_NEXT_RESPONSE_MINUTES,
        help_text="Business minutes to answer a follow-up in a conversation already acknowledged.",
    )
    business_hours_only = models.BooleanField(default=True)
    timezone = models.CharField(max_length=64, default="UTC")
    opens_at = models.TimeField(default="09:00")
    closes_at = models.TimeField(default="18:00")
    open_weekdays = ArrayField(models.PositiveSmallIntegerField(), default=weekdays_default)
    holiday_country = models.CharField(max_length=8, blank=True, default="")
    holiday_subdivision = models.CharField(max_length=8, blank=True, default="")
    holidays = ArrayField(models.DateField(), default=list, blank=True)

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return f"SLA of {self.client_id}"

    def business_hours(self) -> BusinessHours:
        extra = {
            "holidays": frozenset(self.holidays),
            "holiday_country": self.holiday_country,
            "holiday_subdivision": self.holiday_subdivision,
        }
        if not self.business_hours_only:
            return BusinessHours.always(self.timezone, **extra)
        span = (_as_time(self.opens_at), _as_time(self.closes_at))
        return BusinessHours(
            timezone=self.timezone, opening={day: span for day in self.open_weekdays}, **extra
        )

    def target_minutes(self, priority: str, *, follow_up: bool = False) -> int:
        """The business minutes a mention has: the next-response target for a follow-up, else
        the first-acknowledgement target of its priority."""
        if follow_up:
            return self.next_response_minutes
        targets = default_targets() | (self.targets or {})
        return int(targets.get(priority, targets["normal"]))


class SlaBreach(models.Model):
    """A mention not acknowledged within its target: recorded once, whatever runs twice.

    A follow-up (``Mention.is_follow_up``) breaches its next-response target (``kind`` next),
    any other mention its first-acknowledgement target (``kind`` first)."""

    class Kind(models.TextChoices):
        FIRST = "first", "First response"
        NEXT = "next", "Next response"

    mention = models.OneToOneField(Mention, on_delete=models.CASCADE, related_name="sla_breach")
    kind = models.CharField(
        max_length=5, choices=Kind.choices, default=Kind.FIRST, db_default=Kind.FIRST
    )
    due_at = models.DateTimeField()
    detected_at = models.DateTimeField()
    notified = models.BooleanField(default=False)

    class Meta:
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"breach of {self.mention_id}"


class RoutingRule(models.Model):
    """If a new mention meets every condition set here, take the actions set here (in order)."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="routing_rules"
    )
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0, help_text="Rules apply in this order.")
    is_active = models.BooleanField(default=True)
    # Conditions (blank: not checked)
    query = models.ForeignKey(
        "listening.ListeningQuery", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    keywords = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    sentiment_below = models.FloatField(null=True, blank=True)
    intent = models.CharField(
        max_length=10, blank=True, default="", help_text="complaint, question, praise or other"
    )
    author_is_customer = models.BooleanField(default=False)
    min_influence = models.FloatField(null=True, blank=True)
    platform = models.CharField(max_length=20, blank=True, default="")
    # Actions (blank: left as it is)
    set_priority = models.CharField(max_length=10, blank=True, default="")
    set_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    add_tag = models.CharField(max_length=100, blank=True, default="")
    auto_dismiss = models.BooleanField(
        default=False, help_text="Dismissed by the rule; this never counts as acknowledged."
    )

    class Meta:
        ordering = ["client", "position", "id"]

    def __str__(self) -> str:
        return self.name


class MentionNote(models.Model):
    """An internal note on a mention, for the team only: never posted to the platform.
    ``@name`` in its text notifies that teammate (``mentioned``)."""

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    mentioned = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in_notes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["mention", "created_at"], name="note_mention_idx")]

    def __str__(self) -> str:
        return f"note on {self.mention_id}"


class Notification(models.Model):
    """Something for one person to look at in the app (being @mentioned in a note)."""

    class Kind(models.TextChoices):
        NOTE_MENTION = "note_mention", "Mentioned in a note"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="+")
    note = models.ForeignKey(
        MentionNote, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="notification_user_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"

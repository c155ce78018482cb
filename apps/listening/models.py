"""What customers say (mentions) and who says it (authors)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F

from apps.accounts.models import Team
from apps.channels.models import Channel
from apps.clients.models import Client, Customer


class Author(models.Model):
    """One person (or account) on one platform, shared by all their mentions."""

    platform = models.CharField(max_length=20)
    handle = models.CharField(max_length=300)
    display_name = models.CharField(max_length=300, blank=True, default="")
    followers = models.PositiveIntegerField(null=True, blank=True)
    profile_url = models.URLField(max_length=1000, blank=True, default="")
    influence = models.FloatField(default=0, help_text="0-100, see apps.listening.influence")
    is_advocate = models.BooleanField(
        default=False, help_text="Spoke positively of a client after being acknowledged by it."
    )
    advocate_since = models.DateTimeField(null=True, blank=True)
    account_role = models.CharField(
        max_length=12, blank=True, default="", db_default="",
        help_text="'brand' or 'competitor' when a client names this as its own or a "
        "competitor's account (apps.clients.models.ClientAccount): never a customer, advocate "
        "or ranked influencer.",
    )  # fmt: skip
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "handle"], name="unique_author_handle")
        ]
        # Reports walk authors by influence until they find the period's top ten.
        indexes = [models.Index(fields=["-influence", "id"], name="author_influence_idx")]

    def __str__(self) -> str:
        return f"{self.handle} ({self.platform})"


def normalise_handle(handle: str) -> str:
    """How handles are stored and compared: no leading "@", lower case."""
    return handle.strip().lstrip("@").lower()


OPEN_STATUSES = ("new", "assigned", "escalated")
QUESTION_MARK = r"[?¿]"  # a text asking something outright (indexed: mention_question_idx)


class MentionQuerySet(models.QuerySet):
    """The one definition of the Open queue, which every inbox count, report rate and SLA uses.

    A mention *needs acknowledgement* when a person (not the client's or a competitor's own
    account) said it, it is not spam and not a repeat — decided at ingest and by
    ``client_accounts_reflag``. *Open* = needs acknowledgement and not yet handled (new,
    assigned or escalated).
    """

    def needing_acknowledgement(self) -> MentionQuerySet:
        return self.filter(needing_acknowledgement_q())

    def open(self) -> MentionQuerySet:
        return self.filter(open_q())


def needing_acknowledgement_q() -> models.Q:
    return models.Q(needs_acknowledgement=True)


def open_q() -> models.Q:
    """``MentionQuerySet.open`` as a condition, for aggregates (``Count(filter=…)``)."""
    return needing_acknowledgement_q() & models.Q(status__in=OPEN_STATUSES)


def open_sql(alias: str = "") -> str:
    """``MentionQuerySet.open`` as SQL, for the statements written by hand."""
    prefix = f"{alias}." if alias else ""
    statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
    return f"{prefix}needs_acknowledgement AND {prefix}status IN ({statuses})"


# ``open_q`` as an index predicate. ORs rather than IN: the predicate then reads back identically
# when a new agency's schema is cloned from the template (pg_get_indexdef round trip).
_OPEN_CONDITION = models.Q(needs_acknowledgement=True) & (
    models.Q(status="new") | models.Q(status="assigned") | models.Q(status="escalated")
)


class Mention(models.Model):
    """One thing a person said to or about a client, on one channel."""

    class Kind(models.TextChoices):
        POST = "post", "Post"
        COMMENT = "comment", "Comment"
        REPLY = "reply", "Reply"
        REVIEW = "review", "Review"
        MESSAGE = "message", "Message"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ASSIGNED = "assigned", "Assigned"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        DISMISSED = "dismissed", "Dismissed"
        ESCALATED = "escalated", "Escalated"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Sentiment(models.TextChoices):
        POSITIVE = "positive", "Positive"
        NEUTRAL = "neutral", "Neutral"
        NEGATIVE = "negative", "Negative"

    class Intent(models.TextChoices):
        COMPLAINT = "complaint", "Complaint"
        QUESTION = "question", "Question"
        PRAISE = "praise", "Praise"
        OTHER = "other", "Other"

    # The composite indexes below lead with these keys, so they need no single-column index.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="mentions", db_index=False
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="mentions", db_index=False
    )
    platform = models.CharField(max_length=20)
    external_id = models.CharField(max_length=500)
    url = models.URLField(max_length=2000, blank=True, default="")
    author = models.ForeignKey(
        Author, on_delete=models.PROTECT, related_name="mentions", db_index=False
    )
    text = models.TextField()
    language = models.CharField(max_length=16, blank=True, default="")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.POST)
    parent_external_id = models.CharField(max_length=500, blank=True, default="")
    rating = models.FloatField(null=True, blank=True)
    engagement = models.PositiveIntegerField(default=0)
    posted_at = models.DateTimeField()
    fetched_at = models.DateTimeField()
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True, default="")
    intent = models.CharField(
        max_length=10, choices=Intent.choices, blank=True, default="", db_default=""
    )
    # A person's correction of the labels wins over the model everywhere and is never re-scored;
    # what the model said is kept beside it for comparison (and the labelled export).
    sentiment_corrected = models.BooleanField(
        default=False, db_default=False, help_text="Sentiment or intent set by a person."
    )
    model_sentiment_score = models.FloatField(
        null=True, blank=True, help_text="The model's score, kept when a person corrected it."
    )
    model_intent = models.CharField(
        max_length=10, blank=True, default="", db_default="",
        help_text="The model's intent, kept when a person corrected it.",
    )  # fmt: skip
    matched_queries = ArrayField(models.BigIntegerField(), default=list, blank=True)
    needs_acknowledgement = models.BooleanField(default=True)
    is_duplicate = models.BooleanField(
        default=False, help_text="The same author said the same thing within a day."
    )
    is_spam = models.BooleanField(default=False)
    is_follow_up = models.BooleanField(
        default=False,
        db_default=False,  # raw COPYs (benchmarks, imports) may leave it out
        help_text="The same person again in a thread already acknowledged: answering it is a "
        "next response, timed on its own clock.",
    )
    search_vector = models.GeneratedField(
        expression=SearchVector("text", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    acknowledged_at = models.DateTimeField(
        null=True, blank=True, help_text="When a person first acknowledged it."
    )
    time_to_acknowledge_minutes = models.FloatField(
        null=True, blank=True, help_text="Business minutes from posting to acknowledgement."
    )
    sla_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the client's SLA wants it acknowledged by."
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    priority_key = models.FloatField(
        null=True, blank=True,
        help_text="The priority score less its waiting term at a fixed epoch: ordering by it is "
        "ordering by the score at any moment (apps.listening.priority). Null: not scored yet.",
    )  # fmt: skip
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_mentions", db_index=False,
    )  # fmt: skip
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentions",
        db_index=False,
    )  # fmt: skip
    tags = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    # The client's CRM record of the author, if any (authors are shared by the agency's clients,
    # customers belong to one client).
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentions",
        db_index=False,
    )  # fmt: skip

    objects = MentionQuerySet.as_manager()

    class Meta:
        ordering = ["-posted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="unique_mention_per_channel"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=0, rating__lte=5),
                name="mention_rating_range",
            ),
        ]
        indexes = [
            # A client's mentions by time: the inbox (read backwards) and the reports, which
            # read every column they aggregate from the index itself (index-only scans).
            models.Index(
                fields=["client", "posted_at"],
                name="mention_client_posted_idx",
                include=[
                    "id",
                    "channel",
                    "needs_acknowledgement",
                    "acknowledged_at",
                    "time_to_acknowledge_minutes",
                    "is_follow_up",
                    "sla_due_at",
                    "sentiment",
                    "sentiment_score",
                    "customer",
                    "matched_queries",
                    "author",
                ],
            ),
            models.Index(fields=["client", "status"], name="mention_client_status_idx"),
            # A client's mentions that ask something with a question mark, by time: the
            # community report's questions nobody answered (reading every text of the period
            # for a "?" took 0.46 s of 30 days at 1,000,000 mentions).
            models.Index(
                fields=["client", "posted_at"],
                name="mention_question_idx",
                condition=models.Q(text__regex=QUESTION_MARK, is_spam=False),
            ),
            # An author's history, and the "same text within a day" check of ingest.
            models.Index(fields=["author", "client", "-posted_at"], name="mention_author_idx"),
            # The mention lists (inbox, API), newest first with the id as tie-breaker: one index
            # per list shape, read in order so a page reads a page (cursor pagination's keys).
            # tests/listening/test_query_plans.py checks every list uses one of them.
            models.Index(F("posted_at").desc(), F("id").desc(), name="mention_posted_idx"),
            models.Index(
                F("posted_at").desc(),
                F("id").desc(),
                name="mention_open_posted_idx",
                condition=_OPEN_CONDITION,
            ),
            models.Index(
                F("status"),
                F("posted_at").desc(),
                F("id").desc(),
                name="mention_status_posted_idx",
            ),
            # Most mentions are unassigned: index only the assigned (or routed) ones.
            models.Index(
                F("assigned_to"),
                F("posted_at").desc(),
                F("id").desc(),
                name="mention_assignee_posted_idx",
                condition=models.Q(assigned_to__isnull=False),
            ),
            models.Index(
                F("team"),
                F("posted_at").desc(),
                F("id").desc(),
                name="mention_team_posted_idx",
                condition=models.Q(team__isnull=False),
            ),
            # A person's own open mentions, SLA due first: their home page's queue (read from
            # every open mention by due date, 0.2 s at 1,000,000 mentions).
            models.Index(
                F("assigned_to"),
                F("sla_due_at").asc(),
                F("posted_at").desc(),
                name="mention_open_assignee_due_idx",
                condition=_OPEN_CONDITION & models.Q(assigned_to__isnull=False),
            ),
            # The other orderings (SLA due first, answer first) over every mention and over
            # the open ones.
            models.Index(fields=["sla_due_at", "id"], name="mention_due_idx"),
            models.Index(
                F("priority_key").desc(nulls_last=True),
                F("id").desc(),
                name="mention_priority_idx",
            ),
            models.Index(
                F("priority_key").desc(nulls_last=True),
                F("id").desc(),
                name="mention_open_priority_all_idx",
                condition=_OPEN_CONDITION,
            ),
            models.Index(
                fields=["customer"],
                name="mention_customer_idx",
                condition=models.Q(customer__isnull=False),
            ),
            # The inbox's "Customers only", newest first, of every status and of the open ones.
            models.Index(
                F("posted_at").desc(),
                F("id").desc(),
                name="mention_customer_posted_idx",
                condition=models.Q(customer__isnull=False),
            ),
            models.Index(
                F("posted_at").desc(),
                F("id").desc(),
                name="mention_open_customer_idx",
                condition=_OPEN_CONDITION & models.Q(customer__isnull=False),
            ),
            # Open mentions by due date: what the breach check reads every minute, and the
            # open inbox's "SLA due first".
            models.Index(
                fields=["sla_due_at", "id"], name="mention_open_due_idx", condition=_OPEN_CONDITION
            ),
            # The same orders within one open status (the New, Assigned, Escalated tabs).
            models.Index(
                fields=["status", "sla_due_at", "id"],
                name="mention_open_status_due_idx",
                condition=_OPEN_CONDITION,
            ),
            models.Index(
                F("status"),
                F("priority_key").desc(nulls_last=True),
                F("id").desc(),
                name="mention_open_status_prio_idx",
                condition=_OPEN_CONDITION,
            ),
            # The inbox's open mentions by priority and by SLA due date, per client.
            models.Index(
                F("client"),
                F("priority_key").desc(nulls_last=True),
                F("id").desc(),
                name="mention_open_priority_idx",
                condition=models.Q(status="new")
                | models.Q(status="assigned")
                | models.Q(status="escalated"),
            ),
            models.Index(
                fields=["client", "sla_due_at", "id"],
                name="mention_open_sla_due_idx",
                condition=models.Q(status="new")
                | models.Q(status="assigned")
                | models.Q(status="escalated"),
            ),
            # A conversation: the replies to a mention, in its channel.
            models.Index(
                fields=["channel", "parent_external_id"],
                name="mention_thread_idx",
                condition=~models.Q(parent_external_id=""),
            ),
            # Reports: what was acknowledged in a period, and by whom (the funnel reads it alone).
            models.Index(
                fields=["client", "acknowledged_at"],
                name="mention_acknowledged_idx",
                condition=models.Q(acknowledged_at__isnull=False),
                include=["author", "needs_acknowledgement", "is_spam"],
            ),
            # Reports: the answered mentions of one bucket of times to acknowledge, in order,
            # for an exact percentile (apps.reporting.quantiles).
            models.Index(
                fields=["client", "is_follow_up", "time_to_acknowledge_minutes"],
                name="mention_response_time_idx",
                condition=models.Q(needs_acknowledgement=True, acknowledged_at__isnull=False),
                include=["posted_at"],
            ),
            # Reports: the customers acknowledged in a period, and the SLA clocks still running
            # at the end of a rolled-up day — each a small share of the mentions.
            models.Index(
                fields=["client", "posted_at"],
                name="mention_answered_customer_idx",
                condition=models.Q(
                    customer__isnull=False,
                    needs_acknowledgement=True,
                    acknowledged_at__isnull=False,
                ),
                include=["customer"],
            ),
            models.Index(
                fields=["client", "posted_at"],
                name="mention_unanswered_idx",
                condition=models.Q(needs_acknowledgement=True, acknowledged_at__isnull=True),
                include=["sla_due_at"],
            ),
            GinIndex(fields=["search_vector"], name="mention_search_idx"),
            GinIndex(fields=["matched_queries"], name="mention_queries_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.author.handle}: {self.text[:60]}"


class ListeningQuery(models.Model):
    """A boolean query (``apps.listening.query_language``) that files mentions under a topic."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="queries")
    name = models.CharField(max_length=200)
    expression = models.TextField()
    is_competitor = models.BooleanField(
        default=False, help_text="Counts towards competitors' share of voice, not the client's."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client__name", "name"]
        verbose_name_plural = "listening queries"
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="unique_query_name")]

    def __str__(self) -> str:
        return self.name


class QueryRematch(models.Model):
    """A background pass that re-applies an edited query to a client's past mentions."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    query = models.ForeignKey(ListeningQuery, on_delete=models.CASCADE, related_name="rematches")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Stamped while running (apps.core.heartbeat); a stale one means the worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.query_id} {self.status} {self.processed}/{self.total}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.processed / self.total))


# The dimensions of ``MentionCount``: what the inbox's counts can be narrowed by.
COUNT_DIMENSIONS = (
    "client_id", "channel_id", "team_id", "sentiment", "intent", "priority", "status",
    "needs_acknowledgement",
)  # fmt: skip


class MentionCount(models.Model):
    """How many mentions have one combination of ``COUNT_DIMENSIONS``, kept by statement-level
    triggers on the mentions table (migration ``0018_mention_counts``) in the transaction of
    every change, whoever makes it (ORM, raw SQL, COPY, cascades). Rows are deltas — a key may
    have several, summed when read (``mention_status_counts``) and merged by
    ``mention_counts_compact`` — so concurrent writers never wait on a counter row. The columns
    are named as the mention's, so ``open_q()`` applies to them as it does to mentions."""

    # No foreign keys: deltas outlive deleted channels and teams until compaction drops the keys
    # that sum to zero; a deleted client's rows go with it (a trigger on clients).
    client_id = models.BigIntegerField()
    channel_id = models.BigIntegerField()
    team_id = models.BigIntegerField(null=True)
    sentiment = models.CharField(max_length=10)
    intent = models.CharField(max_length=10)
    priority = models.CharField(max_length=10)
    status = models.CharField(max_length=12)
    needs_acknowledgement = models.BooleanField()
    n = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["client_id"], name="mention_count_client_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.status}: {self.n}"


class AuthorActivity(models.Model):
    """When an author first and last spoke of a client, kept by statement-level triggers on the
    mentions table (migrations ``0019_author_activity``, ``0022_author_first_mention``) in the
    transaction of every change: the report's advocacy funnel and comparison read a row per person
    instead of their histories. ``first_posted_at`` counts every mention; the last times only
    mentions that are not spam — ``last_positive_at`` the positive ones, ``last_unprompted_at``
    those unprompted without looking at other rows (needing acknowledgement, not a reply),
    ``last_advocacy_at`` those of them that are positive. ``first_mention_id`` is the person's
    first mention needing acknowledgement posted at ``first_posted_at`` (the lowest id; None when
    none of that instant needs it) and ``first_acknowledged_at`` when it was acknowledged."""

    client_id = models.BigIntegerField()
    author_id = models.BigIntegerField()
    first_posted_at = models.DateTimeField()
    last_posted_at = models.DateTimeField(null=True)
    last_positive_at = models.DateTimeField(null=True)
    last_unprompted_at = models.DateTimeField(null=True)
    last_advocacy_at = models.DateTimeField(null=True)
    first_mention_id = models.BigIntegerField(null=True)
    first_acknowledged_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_id", "author_id"], name="author_activity_key")
        ]
        indexes = [
            models.Index(fields=["client_id", "first_posted_at"], name="author_activity_first_idx")
        ]

    def __str__(self) -> str:
        return f"author {self.author_id} of client {self.client_id}"


class AcknowledgedMention(models.Model):
    """Every acknowledgement that counts — a mention with ``acknowledged_at`` that needs
    acknowledgement and is not spam — beside the same person's (client and author) previous one
    (``previous_at``, ordered by time then mention id; None for their first), kept by
    statement-level triggers on the mentions table (migration ``0025_acknowledged_mention``) in
    the transaction of every change. A person's first acknowledgement in a period ``[S, E)`` is
    the one row with ``S <= acknowledged_at < E`` and no ``previous_at`` from ``S`` on, so the
    advocacy funnel reads who was acknowledged without grouping their acknowledgements."""

    pk = models.CompositePrimaryKey("client_id", "author_id", "acknowledged_at", "mention_id")
    client_id = models.BigIntegerField()
    author_id = models.BigIntegerField()
    acknowledged_at = models.DateTimeField()
    mention_id = models.BigIntegerField()
    previous_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["client_id", "acknowledged_at"],
                include=["author_id", "previous_at"],
                name="acknowledged_mention_time_idx",
            )
        ]

    def __str__(self) -> str:
        return f"mention {self.mention_id} of author {self.author_id}, client {self.client_id}"

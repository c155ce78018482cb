"""What customers say (mentions) and who says it (authors)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from apps.accounts.models import Team
from apps.channels.models import Channel
from apps.clients.models import Client


class Author(models.Model):
    """One person (or account) on one platform, shared by all their mentions."""

    platform = models.CharField(max_length=20)
    handle = models.CharField(max_length=300)
    display_name = models.CharField(max_length=300, blank=True, default="")
    followers = models.PositiveIntegerField(null=True, blank=True)
    profile_url = models.URLField(max_length=1000, blank=True, default="")
    influence = models.FloatField(default=0)
    is_advocate = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "handle"], name="unique_author_handle")
        ]

    def __str__(self) -> str:
        return f"{self.handle} ({self.platform})"


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
    matched_queries = ArrayField(models.BigIntegerField(), default=list, blank=True)
    needs_acknowledgement = models.BooleanField(default=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_mentions", db_index=False,
    )  # fmt: skip
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentions",
        db_index=False,
    )  # fmt: skip
    tags = ArrayField(models.CharField(max_length=100), default=list, blank=True)

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
            models.Index(fields=["client", "-posted_at"], name="mention_client_posted_idx"),
            models.Index(fields=["client", "status"], name="mention_client_status_idx"),
            models.Index(fields=["author", "-posted_at"], name="mention_author_idx"),
            # Most mentions are unassigned: index only the assigned ones.
            models.Index(
                fields=["assigned_to"],
                name="mention_assignee_idx",
                condition=models.Q(assigned_to__isnull=False),
            ),
            models.Index(
                fields=["team"], name="mention_team_idx", condition=models.Q(team__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author.handle}: {self.text[:60]}"

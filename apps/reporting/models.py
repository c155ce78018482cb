"""What reporting stores: the monthly report e-mails sent to each client's members, the report
schedules staff set up for chosen recipients and each period they have sent, and rollups."""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.clients.models import Client


class MonthlyReport(models.Model):
    """A client's report for one calendar month, claimed before it is e-mailed so it goes once.

    ``sent_at`` stays empty when the client had nobody to send it to (``recipients`` empty).
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="monthly_reports")
    month = models.DateField(help_text="First day of the reported month")
    recipients = ArrayField(models.EmailField(), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "client_id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "month"], name="unique_monthly_report"),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="monthly_report_month_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.month:%Y-%m}"


class ReportSchedule(models.Model):
    """A report e-mailed to chosen recipients after each period (in the client's time zone):
    every Monday-Sunday week, every calendar month, or every ``period_days`` days counted from
    ``starts_on``. A period is sent once it is over and the local hour ``send_hour`` has come,
    if it ends on or after ``starts_on`` (the local day the schedule was set up)."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly (Monday to Sunday)"
        MONTHLY = "monthly", "Monthly (calendar month)"
        CUSTOM = "custom", "Every N days"

    MAX_DAYS = 366
    MAX_RECIPIENTS = 50

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="report_schedules")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    period_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS)],
        help_text="Days in each period (custom frequency only)",
    )  # fmt: skip
    recipients = ArrayField(models.EmailField(), size=MAX_RECIPIENTS)
    send_hour = models.PositiveSmallIntegerField(
        default=8, validators=[MaxValueValidator(23)],
        help_text="Local hour of the day after a period ends at which its report goes out",
    )  # fmt: skip
    starts_on = models.DateField(help_text="The client's local day the schedule was set up")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client_id", "frequency", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        frequency="custom",
                        period_days__isnull=False,
                        period_days__gte=1,
                        period_days__lte=366,
                    )
                    | (models.Q(period_days__isnull=True) & ~models.Q(frequency="custom"))
                ),
                name="report_schedule_custom_has_days",
            ),
            models.CheckConstraint(
                condition=models.Q(frequency__in=["weekly", "monthly", "custom"]),
                name="report_schedule_frequency_known",
            ),
            models.CheckConstraint(
                condition=models.Q(recipients__len__gte=1), name="report_schedule_has_recipients"
            ),
            models.CheckConstraint(
                condition=models.Q(send_hour__lte=23), name="report_schedule_send_hour_of_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.describe()}"

    def describe(self) -> str:
        if self.frequency == self.Frequency.CUSTOM:
            return f"every {self.period_days} days"
        return str(self.frequency)


class ReportDelivery(models.Model):
    """One period of a schedule, claimed (inserted) before its e-mail is sent so it goes once,
    however many beats run at the same time; a failed send is retried by a later beat."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, will be retried"

    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.CASCADE, related_name="deliveries"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    recipients = ArrayField(models.EmailField(), default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-period_end", "schedule_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "period_start", "period_end"], name="unique_report_delivery"
            ),
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")),
                name="report_delivery_period_forwards",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="report_delivery_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.period_start}..{self.period_end}: {self.status}"


class TermDay(models.Model):
    """A client's local day whose terms are rolled up in ``TermCount`` (see ``rollups``)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "day"], name="unique_term_day")]

    def __str__(self) -> str:
        return f"terms of {self.client_id} on {self.day}"


class TermCount(models.Model):
    """How often a term (or hashtag) was used in a client's mentions on one local day."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    is_hashtag = models.BooleanField(default=False)
    term = models.TextField()
    uses = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "day", "is_hashtag", "term"], name="unique_term_count"
            )
        ]

    def __str__(self) -> str:
        return f"{self.term}: {self.uses} on {self.day}"


class MentionDay(models.Model):
    """The additive figures of a client's mentions of one local day, channel, sentiment and set
    of matched queries, kept by statement-level triggers on the mentions table (migration
    ``0004_mention_days``) in the transaction of every change — ingest, back-fills,
    acknowledgements, corrections, deletes — and rebuilt when the client's time zone changes.
    Rows are deltas, summed when read and merged by ``rollups.mention_days_compact``. Figures
    that do not add up (percentiles, distinct customers, SLA times still running) are read from
    the mentions (``rollups``)."""

    # No foreign keys: deltas outlive deleted channels until compaction drops the keys that sum
    # to zero; a deleted client's rows go with it (a trigger on clients).
    client_id = models.BigIntegerField()
    day = models.DateField()
    channel_id = models.BigIntegerField()
    sentiment = models.CharField(max_length=10)
    matched_queries = ArrayField(models.BigIntegerField())
    mentions = models.BigIntegerField()
    needing = models.BigIntegerField()
    acknowledged = models.BigIntegerField()
    # needing, with an SLA due time: answered / answered in time / unanswered, due that day
    sla_answered = models.BigIntegerField()
    sla_met = models.BigIntegerField()
    sla_missed_in_day = models.BigIntegerField()
    score_sum = models.DecimalField(max_digits=30, decimal_places=15)
    score_count = models.BigIntegerField()
    # first responses per bar of ``selectors.TIME_BUCKETS``
    bucket_0 = models.BigIntegerField()
    bucket_1 = models.BigIntegerField()
    bucket_2 = models.BigIntegerField()
    bucket_3 = models.BigIntegerField()
    bucket_4 = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["client_id", "day"], name="mention_day_client_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.day}: {self.mentions}"


class ResponseTimeDay(models.Model):
    """How many of a client's answered mentions of one local day took a time to acknowledge in
    one ``bucket`` (``core.buckets.BUCKET_SQL``: about 6 % wide), in business minutes or
    ``wall_clock`` minutes, first responses and follow-ups apart: kept like ``MentionDay``
    (deltas, migration ``0006_response_time_days``), so that a percentile finds its bucket from
    a few hundred rows a day and reads the mentions of that bucket alone (``quantiles``)."""

    client_id = models.BigIntegerField()
    day = models.DateField()
    wall_clock = models.BooleanField()
    is_follow_up = models.BooleanField()
    bucket = models.SmallIntegerField()
    answers = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["client_id", "day"], name="response_day_client_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.day}: {self.answers} in bucket {self.bucket}"

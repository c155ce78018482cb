"""What reporting stores: the monthly report e-mails sent to each client's members."""

from django.contrib.postgres.fields import ArrayField
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

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

"""People across platforms: a ``Person`` groups a client's ``Author``s (one handle each)."""

from django.conf import settings
from django.db import models

from apps.clients.models import Client, Customer
from apps.listening.models import Author


class Person(models.Model):
    """One human being as a client knows them, speaking through one or more authors.

    People are per client (as the CRM is): the same handle may be one person for one client and
    part of another person for another, and a client user sees only their clients' people.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(max_length=300, blank=True, default="")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="people",
        help_text="The CRM record all of this person's authors matched.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(
                fields=["client", "customer"],
                condition=models.Q(customer__isnull=False),
                name="unique_person_per_customer",
            )
        ]
        indexes = [models.Index(fields=["client", "name"], name="person_client_name_idx")]

    def __str__(self) -> str:
        return self.name or f"person {self.pk}"


class PersonAuthor(models.Model):
    """That an author is (one of the voices of) a person, for one client, and why."""

    class LinkedBy(models.TextChoices):
        OWN = "own", "Own handle"  # the author is a person of their own
        CRM = "crm", "CRM record"  # the client's CRM names this handle or e-mail
        STAFF = "staff", "Staff decision"  # merged or split by hand: never re-linked by the CRM

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="links")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="person_links")
    linked_by = models.CharField(max_length=10, choices=LinkedBy.choices, default=LinkedBy.OWN)
    linked_at = models.DateTimeField(auto_now=True)
    # What link suggestions compare, as the author looked when linked (see services.NAME_KEY_SQL)
    name_key = models.CharField(max_length=300, blank=True, default="")
    website_key = models.CharField(max_length=1000, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "author"], name="unique_person_author")
        ]
        indexes = [
            models.Index(fields=["person"], name="person_author_person_idx"),
            models.Index(
                fields=["client", "name_key"],
                name="person_author_name_idx",
                condition=~models.Q(name_key=""),
            ),
            models.Index(
                fields=["client", "website_key"],
                name="person_author_website_idx",
                condition=~models.Q(website_key=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} ← {self.author_id} ({self.linked_by})"


class PersonLinkSuggestion(models.Model):
    """Evidence that two authors of a client may be one person; staff accept or reject it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")
    other_author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")
    evidence = models.JSONField(default=list, help_text="Sentences saying why, for the staff.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "author", "other_author"], name="unique_link_suggestion"
            ),
            models.CheckConstraint(
                condition=models.Q(author__lt=models.F("other_author")),
                name="link_suggestion_ordered_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_id} ~ {self.other_author_id} ({self.status})"

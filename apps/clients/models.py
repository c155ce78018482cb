"""Client brands an agency works for, and who may see each of them."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class Client(models.Model):
    """A brand the agency listens and answers for."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    brand_handles = ArrayField(
        models.CharField(max_length=200), default=list, blank=True,
        help_text="The brand's own accounts, e.g. @northwind (its posts need no acknowledgement)",
    )  # fmt: skip
    keywords = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    competitors = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClientMembership(models.Model):
    """Binds a user to a client: portal users see only their clients, staff their assignments."""

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        RESPONDER = "responder", "Responder"
        MANAGER = "manager", "Manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_memberships"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="unique_client_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.client_id} ({self.role})"

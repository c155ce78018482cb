"""People of an agency: users with a role, and the teams mentions are routed to.

These tables live in each agency's schema, so an agency's users exist only on its own host. The
public schema has the same tables for platform administrators.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in at one agency's host; agency staff sign in with their e-mail."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MANAGER = "manager", "Account manager"
        RESPONDER = "responder", "Responder"
        TEAM_MEMBER = "team_member", "Team member"
        CLIENT_VIEWER = "client_viewer", "Client viewer"
        CLIENT_RESPONDER = "client_responder", "Client responder"

    STAFF_ROLES = (Role.OWNER, Role.MANAGER, Role.RESPONDER)
    CLIENT_ROLES = (Role.CLIENT_VIEWER, Role.CLIENT_RESPONDER)

    email = models.EmailField("e-mail address", unique=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RESPONDER)

    class Meta:
        ordering = ["email"]

    @property
    def is_agency_staff(self) -> bool:
        return self.role in self.STAFF_ROLES

    @property
    def is_client_user(self) -> bool:
        return self.role in self.CLIENT_ROLES


class Team(models.Model):
    """A group outside marketing (support, product, engineering, HR) receiving routed mentions."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

"""Which clients a user may see: the permission scope every other selector builds on."""

from django.db.models import QuerySet

from apps.accounts.models import User

from .models import Client

ALL_CLIENT_ROLES = (User.Role.OWNER, User.Role.MANAGER, User.Role.RESPONDER)


def client_list(*, user: User) -> QuerySet[Client]:
    """Owners, managers and responders see every client; others only their memberships."""
    clients = Client.objects.all()
    if user.role in ALL_CLIENT_ROLES:
        return clients
    return clients.filter(memberships__user=user).distinct()


def client_get(*, user: User, client_id: int) -> Client:
    """A client the user may see; ``Client.DoesNotExist`` otherwise (→ 404)."""
    return client_list(user=user).get(pk=client_id)

"""Which clients a user may see: the permission scope every other selector builds on.

Also the reads of the CRM overlay (customers), scoped through the same clients.
"""

from django.db.models import QuerySet

from apps.accounts.models import User

from .models import Client, Customer

ALL_CLIENT_ROLES = (User.Role.OWNER, User.Role.MANAGER)


def client_list(*, user: User) -> QuerySet[Client]:
    """Owners and managers see every client; a responder the clients they are members of (every
    client while they belong to none: a small agency's default); everyone else only the clients
    they are members of."""
    clients = Client.objects.all()
    if user.role in ALL_CLIENT_ROLES:
        return clients
    mine = clients.filter(memberships__user=user).distinct()
    if user.role == User.Role.RESPONDER and not user.client_memberships.exists():
        return clients
    return mine


def client_get(*, user: User, client_id: int) -> Client:
    """A client the user may see; ``Client.DoesNotExist`` otherwise (→ 404)."""
    return client_list(user=user).get(pk=client_id)


def customer_list(*, user: User, client_id: int | None = None) -> QuerySet[Customer]:
    """The customers of the clients the user may see (of one of them with ``client_id``)."""
    customers = Customer.objects.filter(client__in=client_list(user=user).values("pk"))
    if client_id is not None:
        customers = customers.filter(client_id=client_id)
    return customers.prefetch_related("identities")

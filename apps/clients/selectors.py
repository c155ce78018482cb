"""Which clients a user may see: the permission scope every other selector builds on.

Also the reads of the CRM overlay (customers), scoped through the same clients.
"""

from django.db.models import QuerySet

from apps.accounts.models import User

from .models import Client, Customer

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


def customer_list(*, user: User, client_id: int | None = None) -> QuerySet[Customer]:
    """The customers of the clients the user may see (of one of them with ``client_id``)."""
    customers = Customer.objects.filter(client__in=client_list(user=user).values("pk"))
    if client_id is not None:
        customers = customers.filter(client_id=client_id)
    return customers.prefetch_related("identities")

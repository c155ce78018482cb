"""Which clients a user may see: the permission scope every other selector builds on.

Also the reads of the CRM overlay (customers), scoped through the same clients, and of the
clients' own and competitors' accounts.
"""

from dataclasses import dataclass

from django.db.models import QuerySet

from apps.accounts.models import User

from .models import Client, ClientAccount, Customer, normalise_account_handle

ALL_CLIENT_ROLES = (User.Role.OWNER, User.Role.MANAGER)


def client_list(*, user: User) -> QuerySet[Client]:
    """Owners and managers see every client; a responder the clients they are members of (every
    client while they belong to none: a small agency's default); everyone else only the clients
    they are members of. A logo (up to 256 kB) is left in the database until something shows
    it: pages list clients by name."""
    clients = Client.objects.defer("logo")
    if sees_every_client(user):
        return clients
    mine = clients.filter(memberships__user=user).distinct()
    if user.role == User.Role.RESPONDER and not user.client_memberships.exists():
        return clients
    return mine


def sees_every_client(user: User) -> bool:
    """Whether ``client_list`` is every client for ``user`` by role alone: what such a user
    reads of a client's rows needs no filter by client (a subquery spared on every page)."""
    return user.role in ALL_CLIENT_ROLES


def of_clients_seen(queryset: QuerySet, *, user: User, field: str = "client") -> QuerySet:
    """``queryset`` narrowed to the rows whose ``field`` (a client) is one ``user`` may see;
    left whole for those who see every client (no subquery to build or plan)."""
    if sees_every_client(user):
        return queryset
    return queryset.filter(**{f"{field}__in": client_list(user=user).values("pk")})


def clients_invitable(*, inviter: User) -> QuerySet[Client]:
    """The active clients ``inviter`` may invite client users to (``events.invitable_clients``)."""
    return client_list(user=inviter).filter(is_active=True)


def client_get(*, user: User, client_id: int) -> Client:
    """A client the user may see; ``Client.DoesNotExist`` otherwise (→ 404)."""
    return client_list(user=user).get(pk=client_id)


def customer_list(*, user: User, client_id: int | None = None) -> QuerySet[Customer]:
    """The customers of the clients the user may see (of one of them with ``client_id``)."""
    customers = Customer.objects.filter(client__in=client_list(user=user).values("pk"))
    if client_id is not None:
        customers = customers.filter(client_id=client_id)
    return customers.prefetch_related("identities")


@dataclass(frozen=True)
class AccountRoles:
    """A client's own and competitors' accounts on one platform, to recognise authors by."""

    handles: dict[str, str]  # normalised handle → "brand" | "competitor"
    ids: tuple[tuple[str, str], ...] = ()  # (account id, role)

    def role_of(self, handle: str, profile_url: str = "") -> str:
        """``brand``, ``competitor`` or ``""`` for an author (handle already normalised): by
        handle, else by an account id the author's profile URL (or handle) carries."""
        role = self.handles.get(handle)
        if role:
            return role
        for account_id, role in self.ids:
            if account_id == handle or (profile_url and account_id in profile_url):
                return role
        return ""


def client_account_roles(*, client: Client, platform: str) -> AccountRoles:
    """What ingest recognises a client's accounts by on ``platform`` (one small query): its
    ``brand_handles`` on every platform, its brand and competitor accounts on this one. A handle
    that is both the brand's and a competitor's counts as the brand's."""
    handles: dict[str, str] = {}
    ids: list[tuple[str, str]] = []
    rows = ClientAccount.objects.filter(client=client, platform=platform).values_list(
        "role", "handle", "account_id"
    )
    for role, handle, account_id in sorted(rows, key=lambda row: row[0] != "competitor"):
        handles[handle] = role  # brand rows come last and win
        if account_id:
            ids.append((account_id, role))
    for handle in client.brand_handles:
        handles[normalise_account_handle(handle)] = ClientAccount.Role.BRAND
    ids.sort(key=lambda pair: pair[1] != ClientAccount.Role.BRAND)
    return AccountRoles(handles=handles, ids=tuple(ids))


def client_accounts(*, client: Client) -> dict[str, list[dict]]:
    """The client's accounts as the API shows them: ``{"brand_accounts": […],
    "competitor_accounts": […]}``, each ``{"platform", "handle", "account_id"}`` (competitor
    accounts also name their ``competitor`` when one was given)."""
    shown: dict[str, list[dict]] = {"brand_accounts": [], "competitor_accounts": []}
    for account in client.accounts.all():
        item = {"platform": account.platform, "handle": account.handle,
                "account_id": account.account_id}  # fmt: skip
        if account.role == ClientAccount.Role.COMPETITOR and account.competitor:
            item["competitor"] = account.competitor
        shown[f"{account.role}_accounts"].append(item)
    return shown

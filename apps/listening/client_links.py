"""What clients' accounts and CRM customers mean for mentions and authors: which authors are a
client's own or a competitor's account, which mentions need acknowledgement, and which customer
each mention's author is. The clients app announces the changes (``events.client_accounts_changed``,
``events.customers_stored``); this module, subscribed in ``ListeningConfig.ready``, follows them."""

from __future__ import annotations

from django.db import connection

from apps.clients.models import Client, ClientAccount, CustomerIdentity
from apps.core.platforms import PLATFORMS

from .models import Author, Mention
from .priority import mentions_priority_refresh

_CI = CustomerIdentity._meta.db_table

_M = Mention._meta.db_table
_A = Author._meta.db_table
# Which of the client's customers each matching author is: the same platform and handle, else
# an e-mail identity equal to the handle (review sites and imports use e-mails as handles).
# Brand and competitor accounts are never customers.
# Authors are only ever on channel platforms: ``= ANY(platforms)`` lets the e-mail branch use
# the (platform, handle) index instead of scanning every author.
_MATCHED_AUTHORS = f"""
    SELECT DISTINCT ON (author_id) author_id, customer_id
    FROM (
        SELECT a.id AS author_id, ci.customer_id, 0 AS preference
        FROM {_CI} ci JOIN {_A} a ON a.platform = ci.platform AND a.handle = ci.value
        WHERE ci.client_id = %(client)s AND ci.platform <> %(email)s AND a.account_role = ''
        UNION ALL
        SELECT a.id, ci.customer_id, 1
        FROM {_CI} ci JOIN {_A} a ON a.platform = ANY(%(platforms)s) AND a.handle = ci.value
        WHERE ci.client_id = %(client)s AND ci.platform = %(email)s AND a.account_role = ''
    ) candidates
    ORDER BY author_id, preference
"""  # noqa: S608 - table names come from model metadata; values are parameters
_LINK_MENTIONS = f"""
    WITH matched AS ({_MATCHED_AUTHORS})
    UPDATE {_M} m SET customer_id = matched.customer_id
    FROM matched
    WHERE m.client_id = %(client)s AND m.author_id = matched.author_id
      AND m.customer_id IS DISTINCT FROM matched.customer_id
"""  # noqa: S608
_UNLINK_MENTIONS = f"""
    WITH matched AS ({_MATCHED_AUTHORS})
    UPDATE {_M} m SET customer_id = NULL
    WHERE m.client_id = %(client)s AND m.customer_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM matched WHERE matched.author_id = m.author_id)
"""  # noqa: S608


def _mentions_link_customers(client: Client) -> tuple[int, int]:
    """Point the client's mentions at the customers their authors are now; two UPDATEs in all.

    Only this client's mentions and identities are read, so another client's customer never
    marks them, even for the same author. Returns (linked or moved, unlinked).
    """
    params = {"client": client.pk, "email": CustomerIdentity.EMAIL, "platforms": list(PLATFORMS)}
    with connection.cursor() as cursor:
        cursor.execute(_LINK_MENTIONS, params)
        linked = cursor.rowcount
        cursor.execute(_UNLINK_MENTIONS, params)
        unlinked = cursor.rowcount
    return linked, unlinked


_CA = ClientAccount._meta.db_table
_CL = Client._meta.db_table
# Every client's accounts, ``brand_handles`` as a brand account on every platform (NULL).
_ACCOUNTS = f"""
    SELECT client_id, platform, handle, account_id, role FROM {_CA}
    UNION ALL
    SELECT id, NULL, unnest(brand_handles), '', 'brand' FROM {_CL}
"""  # noqa: S608
# Authors who are one of those accounts: by handle on the platform, or by the account id their
# handle or profile URL carries.
_ACCOUNT_AUTHORS = f"""
    SELECT accounts.client_id, a.id AS author_id, accounts.role
    FROM ({_ACCOUNTS}) accounts
    JOIN {_A} a ON (accounts.platform IS NULL OR a.platform = accounts.platform)
        AND (a.handle = accounts.handle OR (accounts.account_id <> '' AND (
             a.handle = lower(accounts.account_id)
             OR strpos(a.profile_url, accounts.account_id) > 0)))
"""  # noqa: S608
_REFLAG_AUTHORS = f"""
    WITH roles AS (
        SELECT author_id, CASE WHEN bool_or(role = 'brand') THEN 'brand' ELSE 'competitor' END
               AS role
        FROM ({_ACCOUNT_AUTHORS}) matched GROUP BY author_id
    )
    UPDATE {_A} a
    SET account_role = COALESCE(roles.role, ''),
        is_advocate = a.is_advocate AND roles.role IS NULL,
        advocate_since = CASE WHEN roles.role IS NULL THEN a.advocate_since END
    FROM {_A} a2 LEFT JOIN roles ON roles.author_id = a2.id
    WHERE a2.id = a.id AND (a.account_role <> '' OR roles.role IS NOT NULL)
      AND (a.account_role IS DISTINCT FROM COALESCE(roles.role, '') OR a.is_advocate AND
           roles.role IS NOT NULL)
"""  # noqa: S608
# A mention needs acknowledgement unless its author is one of its client's accounts, it is
# spam or it repeats what its author said within a day (as ingest decides it).
_REFLAG_MENTIONS = f"""
    WITH own AS (
        SELECT DISTINCT author_id FROM ({_ACCOUNT_AUTHORS}) matched
        WHERE client_id = %(client)s
    )
    UPDATE {_M} m SET needs_acknowledgement = NOT (
        m.is_spam OR m.is_duplicate OR m.author_id IN (SELECT author_id FROM own))
    WHERE m.client_id = %(client)s
      AND m.needs_acknowledgement IS DISTINCT FROM NOT (
        m.is_spam OR m.is_duplicate OR m.author_id IN (SELECT author_id FROM own))
"""  # noqa: S608


def authors_reflag_accounts() -> int:
    """Mark the authors who are any client's own or a competitor's account (``account_role``;
    such authors are never advocates) and unmark the others; returns how many changed."""
    with connection.cursor() as cursor:
        cursor.execute(_REFLAG_AUTHORS)
        return cursor.rowcount


def client_accounts_reflag(*, client: Client | None = None) -> int:
    """Correct existing data after accounts change (of ``client``, or of every client): mark the
    authors who are brand or competitor accounts (never advocates), recompute whether each of the
    client's mentions needs acknowledgement, and re-link its customers (accounts never are one).
    Returns how many mentions changed."""
    clients = [client] if client is not None else list(Client.objects.all())
    changed = 0
    authors_reflag_accounts()
    with connection.cursor() as cursor:
        for each in clients:
            cursor.execute(_REFLAG_MENTIONS, {"client": each.pk})
            changed += cursor.rowcount
    for each in clients:
        _mentions_link_customers(each)
    return changed


def mentions_link_customers(*, client: Client) -> dict[str, int]:
    """After a customer import: re-link the client's mentions to the customers their authors
    are, then refresh their priority (lifetime values count in it)."""
    linked, unlinked = _mentions_link_customers(client)
    mentions_priority_refresh(client_id=client.pk)
    return {"mentions_linked": linked, "mentions_unlinked": unlinked}

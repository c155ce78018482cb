"""A client's data on request: everything of it exported (JSON + CSV, in one zip), or all of it
erased from its agency's schema — both logged.

Erasing removes the client's row and everything that hangs off it (channels, mentions, their
acknowledgements, breaches, queries, customers, policies, rules, saved replies, reports and
roll-ups cascade), then what refers to it without a foreign key: the audit entries of its
mentions, webhook deliveries that carried its mentions, and the authors who spoke of no other
client. The erasure itself is written to the audit log (who, when, what was erased, as counts).
"""

from __future__ import annotations

import io
import json
import logging
import zipfile

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from apps.acknowledgements.models import (
    Acknowledgement,
    AuditEntry,
    RoutingRule,
    SavedReply,
    SlaBreach,
    SlaPolicy,
)
from apps.channels.models import Channel, FetchRun
from apps.clients.models import (
    Client,
    ClientAccount,
    ClientMembership,
    Customer,
    CustomerIdentity,
)
from apps.listening.client_links import authors_reflag_accounts
from apps.listening.models import Author, ListeningQuery, Mention
from apps.webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)
SECRETS = {"credentials_encrypted", "webhook_secret_encrypted", "webhook_token"}


def _rows(queryset: QuerySet) -> list[dict]:
    fields = [
        f.attname
        for f in queryset.model._meta.concrete_fields
        if f.attname not in SECRETS and not getattr(f, "generated", False)
    ]
    return list(queryset.values(*fields))


def _authors_of(client: Client) -> QuerySet[Author]:
    return Author.objects.filter(
        Exists(Mention.objects.filter(author=OuterRef("pk"), client=client))
    )


def client_archive(*, client: Client) -> bytes:
    """A zip of everything stored about the client: ``client.json`` (every table's rows, secrets
    left out) and the mention and acknowledgement CSVs of the reports' exports."""
    from apps.reporting.exports import client_everything_csv

    mentions = Mention.objects.filter(client=client)
    document = {
        "exported_at": timezone.now(),
        "client": _rows(Client.objects.filter(pk=client.pk))[0],
        "memberships": list(
            ClientMembership.objects.filter(client=client).values("user__email", "role")
        ),
        "customers": _rows(Customer.objects.filter(client=client)),
        "customer_identities": _rows(CustomerIdentity.objects.filter(client=client)),
        "accounts": _rows(ClientAccount.objects.filter(client=client)),
        "channels": _rows(Channel.objects.filter(client=client)),
        "fetch_runs": _rows(FetchRun.objects.filter(channel__client=client)),
        "queries": _rows(ListeningQuery.objects.filter(client=client)),
        "authors": _rows(_authors_of(client)),
        "mentions": [
            {k: v for k, v in row.items() if k != "search_vector"} for row in _rows(mentions)
        ],
        "acknowledgements": _rows(Acknowledgement.objects.filter(client=client)),
        "sla_policy": _rows(SlaPolicy.objects.filter(client=client)),
        "sla_breaches": _rows(SlaBreach.objects.filter(mention__client=client)),
        "routing_rules": _rows(RoutingRule.objects.filter(client=client)),
        "saved_replies": _rows(SavedReply.objects.filter(client=client)),
        "audit": _rows(_audit_of(client)),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("client.json", json.dumps(document, cls=DjangoJSONEncoder, indent=1))
        for name, chunks in client_everything_csv(client=client).items():
            with archive.open(name, "w") as member:
                for chunk in chunks:
                    member.write(chunk)
    return buffer.getvalue()


def _audit_of(client: Client) -> QuerySet[AuditEntry]:
    mentions = Mention.objects.filter(client=client).values("pk")
    acknowledgements = Acknowledgement.objects.filter(client=client).values("pk")
    return AuditEntry.objects.filter(
        object_type="mention", object_id__in=mentions
    ) | AuditEntry.objects.filter(object_type="acknowledgement", object_id__in=acknowledgements)


@transaction.atomic
def client_erase(*, client: Client, requested_by: str) -> dict[str, int]:
    """Erase the client and everything of it (one transaction); returns what was removed."""
    authors = list(
        _authors_of(client)
        .exclude(Exists(Mention.objects.filter(author=OuterRef("pk")).exclude(client=client)))
        .values_list("pk", flat=True)
    )
    counts = {
        "mentions": Mention.objects.filter(client=client).count(),
        "acknowledgements": Acknowledgement.objects.filter(client=client).count(),
        "channels": Channel.objects.filter(client=client).count(),
        "customers": Customer.objects.filter(client=client).count(),
        "authors": len(authors),
    }
    counts["audit_entries"], _ = _audit_of(client).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {WebhookDelivery._meta.db_table} "  # noqa: S608
            "WHERE payload->>'client' = %(client)s OR payload->'mention'->>'client' = %(client)s",
            {"client": str(client.pk)},
        )
        counts["webhook_deliveries"] = cursor.rowcount
    summary = {"name": client.name, "slug": client.slug}
    client_id = client.pk
    client.delete()
    Author.objects.filter(pk__in=authors).delete()
    authors_reflag_accounts()  # its accounts no longer mark the authors other clients share
    AuditEntry.objects.create(
        actor=None, action="erase_client", object_type="client", object_id=client_id,
        before={**summary, **counts}, after={"requested_by": requested_by},
    )  # fmt: skip
    logger.warning("erased client %s (%s) on request of %s: %s", client_id, summary, requested_by,
                   counts)  # fmt: skip
    return counts

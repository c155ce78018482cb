"""A client's data on request: exported whole, or erased from every table of its agency."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.acknowledgements.models import AuditEntry, RoutingRule, SlaPolicy
from apps.acknowledgements.services import (
    mention_acknowledge,
    saved_reply_create,
    sla_breaches_detect,
)
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Client
from apps.listening.models import Author, Mention
from apps.listening.services import query_create
from apps.reporting.models import MonthlyReport
from apps.reporting.selectors import client_report
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import events_publish, subscription_create
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory, CustomerFactory

NOW = datetime.now(UTC)


def populate(client: Client, handles: list[str], owner) -> None:
    """A client with every kind of data Rapport keeps about one."""
    channel = make_channel(
        client=client, platform="mastodon", credentials={"access_token": "secret-token-x"},
        config={"base_url": "http://127.0.0.1:9", "mode": "mentions"},
    )  # fmt: skip
    store_mentions(channel, [
        MentionData(external_id=f"{client.slug}-{n}", text=f"#brew question {n}",
                    posted_at=NOW - timedelta(days=3, hours=n),
                    author=AuthorData(handle=handle, display_name=handle))
        for n, handle in enumerate(handles)
    ])  # fmt: skip
    first = Mention.objects.select_related("author").filter(client=client).order_by("pk")[0]
    mention_acknowledge(mention=first, user=owner, kind="replied_elsewhere", text="Hi there")
    query_create(client=client, name="Brew", expression="brew")
    SlaPolicy.objects.create(client=client, business_hours_only=False)
    RoutingRule.objects.create(client=client, name="All", keywords=["brew"])
    saved_reply_create(title="Thanks", text="Thanks {first_name}", user=owner, client=client)
    customer = CustomerFactory(client=client)
    customer.identities.create(client=client, platform="mastodon", value=handles[0])
    ClientMembershipFactory(client=client, user=UserFactory(role="client_viewer"))
    MonthlyReport.objects.create(client=client, month=NOW.date().replace(day=1), recipients=[])
    client_report(client=client, since=NOW.date() - timedelta(days=6), until=NOW.date())
    events_publish(event="mention.created", payloads=[{"id": first.pk, "client": client.pk}])


@pytest.fixture
def two_clients(in_agency_a, django_capture_on_commit_callbacks):
    owner = UserFactory(role="owner")
    subscription_create(url="http://127.0.0.1:9/hook", events=["mention.created"], user=owner)
    gone, kept = ClientFactory(slug="gone-brand"), ClientFactory(slug="kept-brand")
    populate(gone, ["only-gone", "both"], owner)
    populate(kept, ["only-kept", "both"], owner)
    sla_breaches_detect(notify=False)
    return gone, kept


def client_rows() -> list[tuple[str, str]]:
    """Every (table, column) of the agency's schema that refers to a client, a mention or an
    author."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() "
            "AND column_name IN ('client_id', 'mention_id', 'author_id')"
        )
        return cursor.fetchall()


def referring(table: str, column: str, ids: list[int]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT count(*) FROM "{table}" WHERE "{column}" = ANY(%s)',  # noqa: S608 - catalogue names
            [ids],
        )
        return cursor.fetchone()[0]


def test_export_holds_everything_of_the_client_and_no_secret(two_clients, tmp_path, agency_a):
    target = tmp_path / "gone.zip"
    call_command("export_client", agency="alpha", client="gone-brand", output=target,
                 stdout=io.StringIO())  # fmt: skip
    with zipfile.ZipFile(target) as archive:
        document = json.loads(archive.read("client.json"))
        mentions_csv = archive.read("mentions.csv").decode()
        assert "acknowledgements.csv" in archive.namelist()
    assert document["client"]["slug"] == "gone-brand"
    assert len(document["mentions"]) == 2 and len(document["acknowledgements"]) == 1
    assert {a["handle"] for a in document["authors"]} == {"only-gone", "both"}
    assert document["queries"][0]["expression"] == "brew" and document["audit"]
    assert mentions_csv.count("\n") == 3  # header + two mentions
    raw = target.read_bytes()
    assert b"secret-token-x" not in raw and b"credentials" not in raw
    assert b"kept-brand" not in raw and b"only-kept" not in raw


def test_erase_removes_every_row_of_the_client_table_by_table(two_clients):
    gone, kept = two_clients
    mentions = list(Mention.objects.filter(client=gone).values_list("pk", flat=True))
    authors = list(Author.objects.filter(handle="only-gone").values_list("pk", flat=True))
    kept_mentions = Mention.objects.filter(client=kept).count()
    assert WebhookDelivery.objects.filter(payload__client=gone.pk).exists()
    tables = client_rows()
    assert len(tables) >= 10  # the check below really walks the schema

    with pytest.raises(CommandError, match="--yes"):
        call_command("erase_client", agency="alpha", client="gone-brand", requested_by="x")
    out = io.StringIO()
    call_command("erase_client", agency="alpha", client="gone-brand", yes=True,
                 requested_by="Gone Brand's DPO, ticket 42", stdout=out)  # fmt: skip
    assert "Erased gone-brand: 2 mentions" in out.getvalue()

    ids = {"client_id": [gone.pk], "mention_id": mentions, "author_id": authors}
    for table, column in tables:
        assert referring(table, column, ids[column]) == 0, table
    assert not Author.objects.filter(pk__in=authors).exists()
    assert Author.objects.filter(handle="both").exists()  # spoke of the kept client too
    assert not WebhookDelivery.objects.filter(payload__client=gone.pk).exists()
    assert not AuditEntry.objects.filter(object_type="mention", object_id__in=mentions).exists()
    log = AuditEntry.objects.get(action="erase_client")
    assert log.object_id == gone.pk and log.before["mentions"] == 2
    assert log.after == {"requested_by": "Gone Brand's DPO, ticket 42"}
    assert Mention.objects.filter(client=kept).count() == kept_mentions


def test_unknown_agency_or_client_is_a_clear_error(in_agency_a, tmp_path):
    with pytest.raises(CommandError, match="no client 'nobody'"):
        call_command("erase_client", agency="alpha", client="nobody", requested_by="x", yes=True)
    with pytest.raises(CommandError, match="No agency"):
        call_command("export_client", agency="nope", client="x", output=tmp_path / "x.zip")

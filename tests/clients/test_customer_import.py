"""CRM overlay: customers imported from CSV, matched to the authors of a client's mentions.

A file with any bad row is refused whole, every bad row reported; a good file upserts customers,
replaces their identities and re-links the client's mentions, never another client's.
"""

from __future__ import annotations

import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.channels.models import Channel
from apps.clients.models import Client, Customer, CustomerIdentity
from apps.clients.selectors import customer_list
from apps.clients.services import (
    CustomerImportError,
    client_membership_add,
    customer_import_csv,
)
from apps.listening.models import Author, Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel
from tests.support import run_manage

from .factories import ClientFactory, CustomerFactory

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "customers_valid.csv"
INVALID = FIXTURES / "customers_invalid.csv"
VALID_CUSTOMERS = 8
VALID_IDENTITIES = 17  # 10 handles and 7 e-mail addresses (Joe has none)
HEADER = "name,email,handles,lifetime_value,segment,tags\n"

CHANNEL_SETTINGS = {
    "mastodon": ({"base_url": "http://127.0.0.1:9"}, {"access_token": "token"}),
    "bluesky": ({"query": "northwind"}, {}),
    "reddit": ({"subreddit": "coffee"}, {}),
    "csv": ({}, {}),
}


def csv_file(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def channel_on(client: Client, platform: str) -> Channel:
    existing = Channel.objects.filter(client=client, platform=platform).first()
    if existing:
        return existing
    config, credentials = CHANNEL_SETTINGS[platform]
    return make_channel(platform=platform, config=config, credentials=credentials, client=client)


def mention_by(client: Client, platform: str, handle: str) -> Mention:
    """A mention of ``client`` by the author ``handle`` (stored normalised, as ingest does)."""
    author, _ = Author.objects.get_or_create(platform=platform, handle=handle)
    now = timezone.now()
    return Mention.objects.create(
        client=client,
        channel=channel_on(client, platform),
        platform=platform,
        external_id=uuid.uuid4().hex,
        author=author,
        text=f"Hello from {handle}",
        posted_at=now,
        fetched_at=now,
    )


def customer_of(mention: Mention) -> str | None:
    """The e-mail (or name) of the customer the mention is linked to now."""
    mention.refresh_from_db()
    return mention.customer and (mention.customer.email or mention.customer.name)


def identities_of(client: Client) -> set[tuple[str, str, str]]:
    return {
        (identity.customer.name, identity.platform, identity.value)
        for identity in CustomerIdentity.objects.filter(client=client).select_related("customer")
    }


@pytest.fixture
def brand(in_agency_a) -> Client:
    return ClientFactory(name="Northwind Coffee", slug="northwind-coffee")


# --- refusing bad files --------------------------------------------------------------------------


def test_file_with_five_bad_rows_reports_exactly_those_rows_and_stores_nothing(brand):
    customer_import_csv(client=brand, file_bytes=VALID.read_bytes())
    linked = mention_by(brand, "mastodon", "ana@mastodon.social")
    unlinked = mention_by(brand, "reddit", "someone_else")
    customer_import_csv(client=brand, file_bytes=VALID.read_bytes())
    before = (
        list(Customer.objects.values().order_by("pk")),
        list(CustomerIdentity.objects.values().order_by("pk")),
        customer_of(linked),
        customer_of(unlinked),
    )

    with pytest.raises(CustomerImportError) as refused:
        customer_import_csv(client=brand, file_bytes=INVALID.read_bytes())

    assert refused.value.rows == [
        (3, {"email": "Give an email address or at least one handle."}),
        (4, {"email": "Enter a valid email address."}),
        (
            6,
            {
                "handles": "Unknown platform 'twitter'; expected one of rss, mastodon, reddit, "
                "bluesky, youtube, facebook_page, instagram, webhook, csv."
            },
        ),
        (7, {"lifetime_value": "Ensure this value is greater than or equal to 0."}),
        (8, {"email": "ana@example.com duplicates row 2."}),
    ]
    after = (
        list(Customer.objects.values().order_by("pk")),
        list(CustomerIdentity.objects.values().order_by("pk")),
        customer_of(linked),
        customer_of(unlinked),
    )
    assert after == before
    assert before[2] == "ana@example.com"


def test_bad_file_creates_no_customer_in_an_empty_client(brand):
    with pytest.raises(CustomerImportError):
        customer_import_csv(client=brand, file_bytes=INVALID.read_bytes())
    assert not Customer.objects.exists()
    assert not CustomerIdentity.objects.exists()


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("Ana,,mastodon:,,,", "handles", "'mastodon:' has an empty handle."),
        ("Ana,,mastodon:@,,,", "handles", "'mastodon:@' has an empty handle."),
        ("Ana,,ana.bsky.social,,,", "handles", "'ana.bsky.social' is not platform:handle."),
        ("Ana,a@x.test,,12345678901,,", "lifetime_value", "no more than 10 digits before"),
        ("Ana,a@x.test,,1.999,,", "lifetime_value", "no more than 2 decimal places"),
        ("Ana,a@x.test,,a lot,,", "lifetime_value", "Enter a number."),
        ("Ana,a@x.test,,NaN,,", "lifetime_value", "Enter a number."),
        ("Ana,a@x.test,,-0.01,,", "lifetime_value", "greater than or equal to 0"),
        ("A" * 201 + ",a@x.test,,,,", "name", "at most 200 characters (it has 201)"),
        (f"Ana,{'a' * 250}@x.test,,,,", "email", "at most 254 characters"),
        ("Ana,a@x.test,,," + "s" * 101 + ",", "segment", "at most 100 characters"),
        ("Ana,a@x.test,,,,ok;" + "t" * 101, "tags", "longer than 100 characters"),
        (f"Ana,,bluesky:{'h' * 301},,,", "handles", "longer than 300 characters"),
        ("Ana,a@x.test,,,,,surplus", "row", "has more fields than the header"),
    ],
)
def test_each_bad_value_is_reported_under_its_column(brand, row, column, message):
    with pytest.raises(CustomerImportError) as refused:
        customer_import_csv(client=brand, file_bytes=csv_file(row))
    [(number, errors)] = refused.value.rows
    assert number == 2
    assert message in errors[column]


def test_handle_or_email_given_twice_in_a_file_is_reported_on_the_later_row(brand):
    content = csv_file(
        "Ana,ana@x.test,mastodon:ana@mastodon.social,,,",
        "Other,other@x.test,,,,",
        "Copy,,Mastodon:@ANA@mastodon.social,,,",
        "Again,Ana@X.test,,,,",
    )
    with pytest.raises(CustomerImportError) as refused:
        customer_import_csv(client=brand, file_bytes=content)
    assert refused.value.rows == [
        (4, {"handles": "mastodon:ana@mastodon.social duplicates row 2."}),
        (5, {"email": "ana@x.test duplicates row 2."}),
    ]


@pytest.mark.parametrize(
    ("content", "errors"),
    [
        (
            b"Name,EMAIL\nAna,ana@x.test\n",
            {
                name: "column is missing"
                for name in ("handles", "lifetime_value", "segment", "tags")
            },
        ),
        (b"", {name: "column is missing" for name in HEADER.strip().split(",")}),
        (
            HEADER.strip().encode() + b",Email\n",
            {"email": "column appears more than once"},
        ),
        ("Ana,ana@x.test".encode("utf-16"), {"file": "is not UTF-8 text"}),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00", {"file": "is not a CSV file"}),
    ],
)
def test_file_that_is_not_a_customer_csv_is_refused_on_row_1(brand, content, errors):
    with pytest.raises(CustomerImportError) as refused:
        customer_import_csv(client=brand, file_bytes=content)
    [(number, found)] = refused.value.rows
    assert number == 1
    assert found.keys() == errors.keys()
    assert all(found[key].startswith(message) for key, message in errors.items())


def test_broken_quoting_is_reported_on_its_row(brand):
    content = csv_file("Ana,ana@x.test,,,,", 'Kai,"kai@x.test"oops,,,,')
    with pytest.raises(CustomerImportError) as refused:
        customer_import_csv(client=brand, file_bytes=content)
    [(number, errors)] = refused.value.rows
    assert number == 3
    assert errors["row"].startswith("is not valid CSV")


# --- importing good files ------------------------------------------------------------------------


def test_good_file_creates_customers_with_handles_and_email_as_identities(brand):
    result = customer_import_csv(client=brand, file_bytes=VALID.read_bytes())

    assert (result.created, result.updated, result.identities) == (8, 0, VALID_IDENTITIES)
    ana = Customer.objects.get(client=brand, email="ana@example.com")
    assert (ana.name, ana.lifetime_value, ana.segment) == ("Ana Souza", Decimal("1250.00"), "vip")
    assert ana.tags == ["coffee club", "early adopter"]
    assert {(i.platform, i.value) for i in ana.identities.all()} == {
        ("mastodon", "ana@mastodon.social"),
        ("bluesky", "ana.bsky.social"),
        ("email", "ana@example.com"),
    }
    joe = Customer.objects.get(client=brand, name="Joe Park")
    assert joe.email == ""
    assert {(i.platform, i.value) for i in joe.identities.all()} == {
        ("bluesky", "joe.bsky.social"),
        ("instagram", "joepark"),
    }
    mark = Customer.objects.get(client=brand, name="Mark Olsen")
    assert mark.email == "mark@example.com"  # e-mail addresses are stored lower case
    assert Customer.objects.get(client=brand, email="sam@example.com").name == "O'Neil, Sam"
    assert Customer.objects.get(client=brand, email="lena@example.com").tags == [
        "wholesale",
        "events",
    ]


def test_good_file_links_existing_mentions_of_matching_authors(brand):
    by_ana = [
        mention_by(brand, "mastodon", "ana@mastodon.social"),
        mention_by(brand, "bluesky", "ana.bsky.social"),
        mention_by(brand, "bluesky", "ana.bsky.social"),
    ]
    by_joe = mention_by(brand, "bluesky", "joe.bsky.social")
    by_stranger = mention_by(brand, "reddit", "stranger")
    ana_on_wrong_platform = mention_by(brand, "reddit", "ana.bsky.social")

    result = customer_import_csv(client=brand, file_bytes=VALID.read_bytes())

    assert result.mentions_linked == 4
    assert [customer_of(m) for m in by_ana] == ["ana@example.com"] * 3
    assert customer_of(by_joe) == "Joe Park"
    assert customer_of(by_stranger) is None
    assert customer_of(ana_on_wrong_platform) is None


def test_customer_of_one_client_never_marks_another_clients_mentions_of_the_same_author(brand):
    other_brand = ClientFactory()
    ours = mention_by(brand, "mastodon", "ana@mastodon.social")
    theirs = mention_by(other_brand, "mastodon", "ana@mastodon.social")
    assert ours.author_id == theirs.author_id

    customer_import_csv(client=brand, file_bytes=VALID.read_bytes())

    assert customer_of(ours) == "ana@example.com"
    assert customer_of(theirs) is None


def test_each_client_links_the_same_author_to_its_own_customer(brand):
    other_brand = ClientFactory()
    ours = mention_by(brand, "mastodon", "ana@mastodon.social")
    theirs = mention_by(other_brand, "mastodon", "ana@mastodon.social")
    customer_import_csv(client=brand, file_bytes=VALID.read_bytes())
    customer_import_csv(
        client=other_brand,
        file_bytes=csv_file("Ana S.,ana@elsewhere.test,mastodon:ana@mastodon.social,,,"),
    )

    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.customer.client == brand
    assert theirs.customer.client == other_brand
    assert customer_of(theirs) == "ana@elsewhere.test"


def test_author_whose_handle_is_a_customers_email_is_matched_on_any_platform(brand):
    review = mention_by(brand, "csv", "mark@example.com")
    comment = mention_by(brand, "reddit", "mark@example.com")

    customer_import_csv(client=brand, file_bytes=VALID.read_bytes())

    assert customer_of(review) == customer_of(comment) == "mark@example.com"


def test_handle_on_the_same_platform_wins_over_an_email_match(brand):
    mention = mention_by(brand, "reddit", "kai@example.com")
    customer_import_csv(
        client=brand,
        file_bytes=csv_file(
            "Kai,kai@example.com,,,,",
            "Impostor,impostor@x.test,reddit:kai@example.com,,,",
        ),
    )
    assert customer_of(mention) == "impostor@x.test"


def test_reimporting_the_same_file_updates_every_customer_and_changes_nothing(brand):
    mention = mention_by(brand, "reddit", "kai_brews")
    first = customer_import_csv(client=brand, file_bytes=VALID.read_bytes())
    customers = list(Customer.objects.values_list("pk", "name", "email", "lifetime_value"))
    identities = identities_of(brand)

    again = customer_import_csv(client=brand, file_bytes=VALID.read_bytes())

    assert (first.created, first.updated, first.mentions_linked) == (VALID_CUSTOMERS, 0, 1)
    assert (again.created, again.updated) == (0, VALID_CUSTOMERS)
    assert (again.identities, again.mentions_linked, again.mentions_unlinked) == (
        VALID_IDENTITIES,
        0,
        0,
    )
    assert list(Customer.objects.values_list("pk", "name", "email", "lifetime_value")) == customers
    assert identities_of(brand) == identities
    assert customer_of(mention) == "kai@example.com"


def test_changed_file_moves_and_clears_links(brand):
    customer_import_csv(
        client=brand,
        file_bytes=csv_file(
            "Ana,ana@example.com,mastodon:ana@mastodon.social bluesky:ana.bsky.social,10,,",
            "Kai,kai@example.com,reddit:kai_brews,20,,",
        ),
    )
    on_mastodon = mention_by(brand, "mastodon", "ana@mastodon.social")
    on_bluesky = mention_by(brand, "bluesky", "ana.bsky.social")
    on_reddit = mention_by(brand, "reddit", "kai_brews")
    customer_import_csv(client=brand, file_bytes=VALID.read_bytes())  # links all three
    assert [customer_of(m) for m in (on_mastodon, on_bluesky, on_reddit)] == [
        "ana@example.com",
        "ana@example.com",
        "kai@example.com",
    ]

    # Ana drops her Bluesky handle; the Reddit account turns out to be Tom's.
    result = customer_import_csv(
        client=brand,
        file_bytes=csv_file(
            "Ana,ana@example.com,mastodon:ana@mastodon.social,10,,",
            "Kai,kai@example.com,,20,,",
            "Tom,tom@example.com,reddit:kai_brews,30,,",
        ),
    )

    assert (result.created, result.updated) == (0, 3)
    assert (result.mentions_linked, result.mentions_unlinked) == (1, 1)
    assert customer_of(on_mastodon) == "ana@example.com"
    assert customer_of(on_bluesky) is None
    assert customer_of(on_reddit) == "tom@example.com"


def test_customers_left_out_of_a_file_are_kept_with_their_links(brand):
    mention = mention_by(brand, "reddit", "tberg")
    customer_import_csv(client=brand, file_bytes=VALID.read_bytes())

    customer_import_csv(client=brand, file_bytes=csv_file("Ana,ana@example.com,,,,"))

    assert Customer.objects.filter(client=brand).count() == VALID_CUSTOMERS
    assert customer_of(mention) == "tom@example.com"


def test_customer_without_email_is_found_again_by_its_first_handle(brand):
    customer_import_csv(client=brand, file_bytes=csv_file("Joe,,bluesky:joe.bsky.social,5,,"))
    joe = Customer.objects.get()

    result = customer_import_csv(
        client=brand, file_bytes=csv_file("Joseph,,bluesky:@Joe.bsky.social reddit:joe,7,vip,")
    )

    assert (result.created, result.updated) == (0, 1)
    joe.refresh_from_db()
    assert (joe.name, joe.lifetime_value, joe.segment) == ("Joseph", Decimal("7.00"), "vip")
    assert {(i.platform, i.value) for i in joe.identities.all()} == {
        ("bluesky", "joe.bsky.social"),
        ("reddit", "joe"),
    }


def test_customer_imported_without_email_keeps_its_record_when_an_email_is_added(brand):
    customer_import_csv(client=brand, file_bytes=csv_file("Joe,,bluesky:joe.bsky.social,,,"))
    joe = Customer.objects.get()

    result = customer_import_csv(
        client=brand, file_bytes=csv_file("Joe,joe@example.com,bluesky:joe.bsky.social,,,")
    )

    assert (result.created, result.updated) == (0, 1)
    assert Customer.objects.get().pk == joe.pk
    assert Customer.objects.get().email == "joe@example.com"


def test_customer_created_elsewhere_is_updated_by_email(brand):
    existing = CustomerFactory(client=brand, email="ana@example.com", name="Ana (old CRM)")

    result = customer_import_csv(client=brand, file_bytes=VALID.read_bytes())

    assert (result.created, result.updated) == (VALID_CUSTOMERS - 1, 1)
    existing.refresh_from_db()
    assert existing.name == "Ana Souza"


def test_handle_moves_to_the_customer_the_file_now_gives_it(brand):
    customer_import_csv(client=brand, file_bytes=VALID.read_bytes())

    customer_import_csv(
        client=brand, file_bytes=csv_file("Tom,tom@example.com,reddit:tberg reddit:kai_brews,,,")
    )

    assert CustomerIdentity.objects.get(platform="reddit", value="kai_brews").customer.name == (
        "Tom"
    )
    kai = Customer.objects.get(email="kai@example.com")
    assert {(i.platform, i.value) for i in kai.identities.all()} == {("email", "kai@example.com")}


def test_import_takes_a_fixed_number_of_queries_however_many_mentions_it_links(
    brand, django_assert_max_num_queries
):
    for handle in ["ana@mastodon.social", "kai_brews", "tberg", "lena.novak"] * 10:
        platform = "mastodon" if "@" in handle else "reddit"
        mention_by(brand, platform, handle)
    customer_import_csv(client=brand, file_bytes=csv_file("Kai,kai@example.com,,,,"))

    # Savepoint, lock, 2 lookups, customers inserted and updated, identities deleted and
    # inserted, 2 link UPDATEs: 10 statements, each after a SET search_path (as
    # TENANT_LIMIT_SET_CALLS is off), and the savepoint's release.
    with django_assert_max_num_queries(2 * 10 + 1):
        result = customer_import_csv(client=brand, file_bytes=VALID.read_bytes())

    assert (result.created, result.updated) == (VALID_CUSTOMERS - 1, 1)
    assert result.mentions_linked == 30  # Ana's, Kai's and Tom's; lena.novak is on Facebook
    assert Mention.objects.filter(client=brand, customer__isnull=False).count() == 30


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture
def committed_brand(agency_a, django_db_blocker):
    """A client committed in agency A, so a ``manage.py`` process can see it."""
    slug = f"northwind-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        client = Client.objects.create(name="Northwind Coffee", slug=slug)
    yield client
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        client.delete()


def run_import(*args: str) -> subprocess.CompletedProcess:
    return run_manage("import_customers_csv", *args)


def test_command_prints_each_bad_row_and_exits_1_without_importing(
    committed_brand, agency_a, django_db_blocker
):
    result = run_import("--agency", "alpha", "--client", committed_brand.slug, str(INVALID))

    assert result.returncode == 1
    assert "row 4, email: Enter a valid email address." in result.stderr
    assert "row 8, email: ana@example.com duplicates row 2." in result.stderr
    assert sum(line.startswith("row ") for line in result.stderr.splitlines()) == 5
    assert "5 invalid rows; nothing was imported." in result.stderr
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        assert not Customer.objects.filter(client=committed_brand).exists()


def test_command_imports_a_good_file_and_prints_the_counts(
    committed_brand, agency_a, django_db_blocker
):
    result = run_import("--agency", "alpha", "--client", committed_brand.slug, str(VALID))

    assert result.returncode == 0, result.stderr
    assert "Imported 8 customers for Northwind Coffee (8 new, 0 updated, 17 identities)" in (
        result.stdout
    )
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        assert Customer.objects.filter(client=committed_brand).count() == VALID_CUSTOMERS


def test_command_refuses_an_unknown_client(db, agency_a):
    result = run_import("--agency", "alpha", "--client", "no-such-brand", str(VALID))
    assert result.returncode == 1
    assert "Agency 'alpha' has no client 'no-such-brand'." in result.stderr


# --- who sees customers --------------------------------------------------------------------------


def test_client_viewer_sees_only_their_clients_customers(brand):
    other_brand = ClientFactory()
    ours, theirs = CustomerFactory(client=brand), CustomerFactory(client=other_brand)
    viewer = UserFactory(role="client_viewer")
    client_membership_add(client=brand, user=viewer, role="viewer")

    assert list(customer_list(user=viewer)) == [ours]
    assert not customer_list(user=viewer, client_id=other_brand.pk).exists()
    assert set(customer_list(user=UserFactory(role="manager"))) == {ours, theirs}


def test_staff_can_narrow_customers_to_one_client(brand):
    other_brand = ClientFactory()
    ours = CustomerFactory(client=brand)
    CustomerFactory(client=other_brand)
    assert list(customer_list(user=UserFactory(role="owner"), client_id=brand.pk)) == [ours]

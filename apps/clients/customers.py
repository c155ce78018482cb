"""The CRM overlay: a client's customers imported from CSV (every row or none), matched again
by e-mail or first handle on the next import."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator, MinValueValidator, validate_email
from django.db import connection, transaction
from django.utils import timezone

from apps.core import events
from apps.core.platforms import PLATFORMS

from .models import (
    Client,
    Customer,
    CustomerIdentity,
    normalise_account_handle,
)

# --- CRM overlay: customers imported from CSV ---------------------------------------------------
#
# Columns (header row, any order, case-insensitive): name, email, handles, lifetime_value,
# segment, tags. ``handles`` holds ``platform:handle`` pairs separated by ";" or whitespace
# (``mastodon:@ana@mastodon.social; bluesky:ana.bsky.social``); ``tags`` is separated by ";".
# Every row is validated before anything is stored; one bad row and the whole file is refused.

CUSTOMER_COLUMNS = ("name", "email", "handles", "lifetime_value", "segment", "tags")
MAX_CUSTOMER_ROWS = 100_000
HEADER_ROW = 1  # row numbers count the header as row 1, as a spreadsheet shows them
BATCH_SIZE = 1000
_HANDLE_SEPARATORS = re.compile(r"[;\s]+")
_TAG_SEPARATOR = ";"
_LIMITS = {
    "name": Customer._meta.get_field("name").max_length,
    "email": Customer._meta.get_field("email").max_length,
    "segment": Customer._meta.get_field("segment").max_length,
    "tag": Customer._meta.get_field("tags").base_field.max_length,
    "handle": CustomerIdentity._meta.get_field("value").max_length,
}
_LIFETIME_VALUE = Customer._meta.get_field("lifetime_value")
_AMOUNT_VALIDATORS = (  # digits first: it refuses NaN, which cannot be compared with 0
    DecimalValidator(_LIFETIME_VALUE.max_digits, _LIFETIME_VALUE.decimal_places),
    MinValueValidator(0),
)


class CustomerImportError(ValueError):
    """Why a customer file was refused: ``rows`` is ``[(row_number, {column: message}), …]``."""

    def __init__(self, rows: list[tuple[int, dict[str, str]]]):
        shown = "; ".join(f"row {number}: {errors}" for number, errors in rows[:3])
        super().__init__(f"{len(rows)} invalid rows in the customer file: {shown}")
        self.rows = rows


@dataclass
class CustomerImportResult:
    created: int = 0
    updated: int = 0
    identities: int = 0  # handles and e-mail addresses now recognising the file's customers
    mentions_linked: int = 0  # the client's mentions this import linked to a (different) customer
    mentions_unlinked: int = 0  # mentions whose author no longer matches any customer


@dataclass(frozen=True)
class _CustomerRow:
    number: int
    name: str
    email: str
    handles: tuple[tuple[str, str], ...]  # (platform, normalised handle), in file order
    lifetime_value: Decimal
    segment: str
    tags: list[str]

    @property
    def identities(self) -> tuple[tuple[str, str], ...]:
        email = ((CustomerIdentity.EMAIL, self.email),) if self.email else ()
        return self.handles + email

    @property
    def key(self) -> tuple[str, str]:
        """What finds this customer again on the next import: the e-mail, else the first handle."""
        return (CustomerIdentity.EMAIL, self.email) if self.email else self.handles[0]


def customer_import_csv(*, client: Client, file_bytes: bytes) -> CustomerImportResult:
    """Import a client's customers from CSV: every row or, if any row is bad, none.

    Customers are matched by e-mail (or, without one, by their first handle) and updated, else
    created; customers absent from the file are kept. Each imported customer's identities are
    replaced by the file's handles and e-mail (a handle another customer held moves to this
    one). Then the client's mentions are re-linked to the customers their authors match.
    Raises ``CustomerImportError`` listing every bad row; nothing is stored then.
    """
    rows = _parse_customer_csv(file_bytes)
    with transaction.atomic():
        # One import per client at a time, so two uploads cannot both create the same customer.
        list(Client.objects.select_for_update().filter(pk=client.pk).order_by().values_list("pk"))
        result = _customers_store(client, rows)
        for linked in events.customers_stored.publish(client=client):
            result.mentions_linked += linked["mentions_linked"]
            result.mentions_unlinked += linked["mentions_unlinked"]
        events.customers_imported.publish(client_id=client.pk)
    return result


def _parse_customer_csv(file_bytes: bytes) -> list[_CustomerRow]:
    try:
        text = file_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CustomerImportError(
            [(HEADER_ROW, {"file": f"is not UTF-8 text ({exc.reason} at byte {exc.start})"})]
        ) from None
    if "\x00" in text:
        raise CustomerImportError(
            [(HEADER_ROW, {"file": "is not a CSV file (it holds NUL bytes)"})]
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as exc:
        raise CustomerImportError([(HEADER_ROW, {"file": f"is not valid CSV: {exc}"})]) from None
    header_errors = {name: "column is missing" for name in CUSTOMER_COLUMNS if name not in header}
    header_errors |= {
        name: "column appears more than once" for name in CUSTOMER_COLUMNS if header.count(name) > 1
    }
    if header_errors:
        raise CustomerImportError([(HEADER_ROW, header_errors)])

    customers: list[_CustomerRow] = []
    bad_rows: list[tuple[int, dict[str, str]]] = []
    first_row_of: dict[tuple[str, str], int] = {}  # identity → the row that claimed it first
    number = HEADER_ROW
    while True:
        number += 1
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            bad_rows.append((number, {"row": f"is not valid CSV: {exc}"}))
            break
        if cells is None:
            break
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if number - HEADER_ROW > MAX_CUSTOMER_ROWS:
            bad_rows.append(
                (number, {"row": f"the file may hold at most {MAX_CUSTOMER_ROWS} rows"})
            )
            break
        customer, errors = _customer_row(number, header, cells, first_row_of)
        if errors:
            bad_rows.append((number, errors))
        else:
            customers.append(customer)
    if bad_rows:
        raise CustomerImportError(bad_rows)
    return customers


def _too_long(value: str, limit: int) -> str:
    return f"Ensure this value has at most {limit} characters (it has {len(value)})."


def _customer_row(
    number: int,
    header: list[str],
    cells: list[str],
    first_row_of: dict[tuple[str, str], int],
) -> tuple[_CustomerRow | None, dict[str, str]]:
    """One row's customer, or the errors found in it (by column)."""
    errors: dict[str, str] = {}
    if len(cells) > len(header):
        errors["row"] = "has more fields than the header"
    # A short row leaves its last columns out: they read as empty.
    values = dict(zip(header, (cell.strip() for cell in cells), strict=False))

    name = values.get("name", "")
    if len(name) > _LIMITS["name"]:
        errors["name"] = _too_long(name, _LIMITS["name"])

    email = values.get("email", "").lower()
    if email:
        if len(email) > _LIMITS["email"]:
            errors["email"] = _too_long(email, _LIMITS["email"])
        else:
            try:
                validate_email(email)
            except ValidationError as error:
                errors["email"] = error.messages[0]
    if email and "email" not in errors:
        earlier = first_row_of.setdefault((CustomerIdentity.EMAIL, email), number)
        if earlier != number:
            errors["email"] = f"{email} duplicates row {earlier}."

    handles, handle_errors = _parse_handles(values.get("handles", ""), number, first_row_of)
    if handle_errors:
        errors["handles"] = " ".join(handle_errors)
    if not email and not handles and "email" not in errors and "handles" not in errors:
        errors["email"] = "Give an email address or at least one handle."

    lifetime_value = Decimal(0)
    if raw := values.get("lifetime_value", ""):
        try:
            lifetime_value = Decimal(raw)
            for validate in _AMOUNT_VALIDATORS:
                validate(lifetime_value)
        except InvalidOperation:
            errors["lifetime_value"] = "Enter a number."
        except ValidationError as error:
            errors["lifetime_value"] = error.messages[0]

    segment = values.get("segment", "")
    if len(segment) > _LIMITS["segment"]:
        errors["segment"] = _too_long(segment, _LIMITS["segment"])

    tags = list(
        dict.fromkeys(t.strip() for t in values.get("tags", "").split(_TAG_SEPARATOR) if t.strip())
    )
    long_tags = [tag for tag in tags if len(tag) > _LIMITS["tag"]]
    if long_tags:
        errors["tags"] = f"Tag '{long_tags[0][:20]}…' is longer than {_LIMITS['tag']} characters."

    if errors:
        return None, errors
    return _CustomerRow(
        number=number,
        name=name,
        email=email,
        handles=tuple(handles),
        lifetime_value=lifetime_value,
        segment=segment,
        tags=tags,
    ), {}


def _parse_handles(
    raw: str, number: int, first_row_of: dict[tuple[str, str], int]
) -> tuple[list[tuple[str, str]], list[str]]:
    """``platform:handle`` pairs, normalised like authors' handles, and what is wrong with them."""
    handles: list[tuple[str, str]] = []
    problems: list[str] = []
    for token in filter(None, _HANDLE_SEPARATORS.split(raw)):
        platform, colon, handle = token.partition(":")
        platform, handle = platform.strip().lower(), normalise_account_handle(handle)
        if not colon:
            problems.append(f"'{token[:40]}' is not platform:handle.")
        elif platform not in PLATFORMS:
            problems.append(
                f"Unknown platform '{platform[:20]}'; expected one of {', '.join(PLATFORMS)}."
            )
        elif not handle:
            problems.append(f"'{token[:40]}' has an empty handle.")
        elif len(handle) > _LIMITS["handle"]:
            problems.append(
                f"Handle '{handle[:20]}…' is longer than {_LIMITS['handle']} characters."
            )
        elif (platform, handle) not in handles:
            earlier = first_row_of.setdefault((platform, handle), number)
            if earlier != number:
                problems.append(f"{platform}:{handle} duplicates row {earlier}.")
            handles.append((platform, handle))
    return handles, problems


_CI = CustomerIdentity._meta.db_table
_DELETE_IDENTITIES = f"""
    DELETE FROM {_CI}
    WHERE client_id = %(client)s
      AND (customer_id = ANY(%(customers)s::bigint[]) OR id = ANY(%(identities)s::bigint[]))
"""  # noqa: S608 - the table name comes from model metadata; values are parameters


def _customers_store(client: Client, rows: list[_CustomerRow]) -> CustomerImportResult:
    """Upsert the rows' customers and replace their identities (a handful of queries)."""
    now = timezone.now()
    file_identities = {identity for row in rows for identity in row.identities}
    known = {
        (platform, value): (pk, customer_id)
        for pk, platform, value, customer_id in CustomerIdentity.objects.filter(
            client=client, value__in=sorted({value for _, value in file_identities})
        ).values_list("pk", "platform", "value", "customer_id")
    }
    by_email: dict[str, int] = {}
    for email, pk in (
        Customer.objects.filter(client=client, email__in=[row.email for row in rows if row.email])
        .order_by("pk")
        .values_list("email", "pk")
    ):
        by_email.setdefault(email, pk)

    # Rows claim existing customers by their strongest key first: e-mail, then the first handle
    # of rows without e-mail, then the first handle of rows whose e-mail is new (a customer
    # imported before without e-mail). A customer is claimed once; other rows create their own.
    def by_identity(identity: tuple[str, str]) -> int | None:
        return known[identity][1] if identity in known else None

    with_email = [row for row in rows if row.email]
    attempts = [
        *((row, by_identity(row.key) or by_email.get(row.email)) for row in with_email),
        *((row, by_identity(row.key)) for row in rows if not row.email),
        *((row, row.handles and by_identity(row.handles[0])) for row in with_email),
    ]
    customer_of: dict[int, int | None] = dict.fromkeys((row.number for row in rows), None)
    claimed: set[int] = set()
    for row, pk in attempts:
        if pk and customer_of[row.number] is None and pk not in claimed:
            claimed.add(pk)
            customer_of[row.number] = pk

    def customer(row: _CustomerRow, pk: int | None) -> Customer:
        return Customer(
            pk=pk,
            client=client,
            name=row.name,
            email=row.email,
            lifetime_value=row.lifetime_value,
            segment=row.segment,
            tags=row.tags,
            imported_at=now,
        )

    new = {row.number: customer(row, None) for row in rows if customer_of[row.number] is None}
    existing = [customer(row, customer_of[row.number]) for row in rows if row.number not in new]
    Customer.objects.bulk_create(new.values(), batch_size=BATCH_SIZE)
    Customer.objects.bulk_update(
        existing,
        ["name", "email", "lifetime_value", "segment", "tags", "imported_at"],
        batch_size=BATCH_SIZE,
    )
    customer_of |= {number: created.pk for number, created in new.items()}

    # One DELETE (a queryset ``delete()`` would first load the rows for django-tenants' signal).
    with connection.cursor() as cursor:
        cursor.execute(
            _DELETE_IDENTITIES,
            {
                "client": client.pk,
                "customers": [c.pk for c in existing],
                "identities": [pk for key, (pk, _) in known.items() if key in file_identities],
            },
        )
    identities = CustomerIdentity.objects.bulk_create(
        [
            CustomerIdentity(
                customer_id=customer_of[row.number], client=client, platform=platform, value=value
            )
            for row in rows
            for platform, value in row.identities
        ],
        batch_size=BATCH_SIZE,
    )
    return CustomerImportResult(created=len(new), updated=len(existing), identities=len(identities))

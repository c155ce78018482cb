"""Writes on clients, memberships and the CRM overlay (customers imported from CSV)."""

from __future__ import annotations

import csv
import io
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator, MinValueValidator, validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.models import User
from apps.core import events
from apps.core.platforms import PLATFORMS

from .models import (
    Client,
    ClientAccount,
    ClientMembership,
    Customer,
    CustomerIdentity,
    normalise_account_handle,
)
from .selectors import client_list


def _validate_client(*, name: str, slug: str, timezone: str, exclude_pk: int | None = None):
    errors = {}
    if not name.strip():
        errors["name"] = "A client needs a name."
    if timezone not in zoneinfo.available_timezones():
        errors["timezone"] = f"Unknown time zone '{timezone}'."
    if not slug:
        errors["slug"] = "Give the client a slug (letters, digits and hyphens)."
    elif Client.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        errors["slug"] = f"A client with slug '{slug}' already exists."
    if errors:
        raise ValidationError(errors)


def client_create(
    *,
    name: str,
    slug: str = "",
    timezone: str = "UTC",
    brand_handles: list[str] | None = None,
    keywords: list[str] | None = None,
    competitors: list[str] | None = None,
    is_active: bool = True,
    brand_accounts: list[dict] | None = None,
    competitor_accounts: list[dict] | None = None,
) -> Client:
    """Create a client, with its own and competitors' accounts (see ``client_accounts_set``)."""
    slug = slug or slugify(name)
    _validate_client(name=name, slug=slug, timezone=timezone)
    accounts = _clean_account_fields(
        {"brand_accounts": brand_accounts, "competitor_accounts": competitor_accounts}
    )
    with transaction.atomic():
        client = Client.objects.create(
            name=name,
            slug=slug,
            timezone=timezone,
            brand_handles=[normalise_account_handle(h) for h in brand_handles or []],
            keywords=keywords or [],
            competitors=competitors or [],
            is_active=is_active,
        )
        if accounts:
            _accounts_store(client, accounts)
    return client


CLIENT_FIELDS = (
    "name", "slug", "timezone", "brand_handles", "keywords", "competitors", "is_active",
)  # fmt: skip


def client_update(*, client: Client, **changes) -> Client:
    """Change the given fields of a client (``CLIENT_FIELDS``, ``brand_accounts`` and
    ``competitor_accounts``); a change of its accounts or brand handles re-flags its mentions."""
    accounts = _clean_account_fields(
        {field: changes.pop(field) for field in ACCOUNT_FIELDS if field in changes}
    )
    unknown = set(changes) - set(CLIENT_FIELDS)
    if unknown:
        raise ValidationError({field: "Not a client field." for field in unknown})
    if "brand_handles" in changes:
        changes["brand_handles"] = [normalise_account_handle(h) for h in changes["brand_handles"]]
    handles_changed = (
        "brand_handles" in changes and changes["brand_handles"] != client.brand_handles
    )
    for field, value in changes.items():
        setattr(client, field, value)
    _validate_client(
        name=client.name, slug=client.slug, timezone=client.timezone, exclude_pk=client.pk
    )
    with transaction.atomic():
        client.save(update_fields=list(changes) or None)
        if accounts:
            _accounts_store(client, accounts)
        elif handles_changed:
            events.client_accounts_changed.publish(client=client)
    return client


# --- the brand's own and its competitors' accounts ----------------------------------------------

ACCOUNT_FIELDS = {"brand_accounts": ClientAccount.Role.BRAND,
                  "competitor_accounts": ClientAccount.Role.COMPETITOR}  # fmt: skip
_ACCOUNT_KEYS = {"platform", "handle", "account_id", "competitor"}
_ACCOUNT_LIMITS = {
    name: ClientAccount._meta.get_field(name).max_length
    for name in ("handle", "account_id", "competitor")
}


def _clean_accounts(value, field: str) -> list[dict]:
    """A list of ``{"platform", "handle", "account_id"?, "competitor"?}``, normalised; raises
    ``ValidationError`` naming the field and the item."""
    if not isinstance(value, list):
        raise ValidationError({field: "A list of {platform, handle, account_id} objects."})
    errors, cleaned, seen = [], [], set()
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            errors.append(f"Item {number}: an object with platform and handle.")
            continue
        problems = [f"unknown key '{key}'" for key in sorted(set(item) - _ACCOUNT_KEYS)]
        platform = item.get("platform")
        if platform not in PLATFORMS:
            problems.append(f"platform must be one of {', '.join(PLATFORMS)}")
        texts = {}
        for key in ("handle", "account_id", "competitor"):
            raw = item.get(key) or ""
            if not isinstance(raw, str):
                problems.append(f"{key} must be text")
                raw = ""
            texts[key] = raw.strip()
            if len(texts[key]) > _ACCOUNT_LIMITS[key]:
                problems.append(f"{key} is longer than {_ACCOUNT_LIMITS[key]} characters")
        handle = normalise_account_handle(texts["handle"])
        if not handle:
            problems.append("handle must not be empty")
        if problems:
            errors.append(f"Item {number}: {'; '.join(problems)}.")
        elif (platform, handle) not in seen:
            seen.add((platform, handle))
            cleaned.append({"platform": platform, "handle": handle, **{
                key: texts[key] for key in ("account_id", "competitor")}})  # fmt: skip
    if errors:
        raise ValidationError({field: errors})
    return cleaned


def _clean_account_fields(given: dict[str, list | None]) -> dict[str, list[dict]]:
    """The given account fields cleaned (``None``: not given), every field's errors at once."""
    cleaned, errors = {}, {}
    for field, value in given.items():
        if value is None:
            continue
        try:
            cleaned[field] = _clean_accounts(value, field)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _accounts_store(client: Client, accounts: dict[str, list[dict]]) -> None:
    """Replace the client's accounts of each given role, then re-flag its mentions."""
    for field, items in accounts.items():
        role = ACCOUNT_FIELDS[field]
        named_by_channels = set(
            client.accounts.filter(role=role, source=ClientAccount.Source.CHANNEL).values_list(
                "platform", "handle"
            )
        )
        client.accounts.filter(role=role).delete()
        ClientAccount.objects.bulk_create(
            ClientAccount(
                client=client,
                role=role,
                **item,
                source=ClientAccount.Source.CHANNEL
                if (item["platform"], item["handle"]) in named_by_channels
                else ClientAccount.Source.MANUAL,
            )
            for item in items
        )
    events.client_accounts_changed.publish(client=client)


def client_accounts_set(
    *,
    client: Client,
    brand_accounts: list[dict] | None = None,
    competitor_accounts: list[dict] | None = None,
) -> Client:
    """Replace the client's brand and/or competitor accounts (those given) and re-flag its
    existing mentions: by these accounts none needs acknowledgement, none is a customer's."""
    accounts = _clean_account_fields(
        {"brand_accounts": brand_accounts, "competitor_accounts": competitor_accounts}
    )
    with transaction.atomic():
        _accounts_store(client, accounts)
    return client


# Which config or credential key names the brand's own account on each platform, and whether
# it is a handle or the platform's account id.
CHANNEL_ACCOUNT_KEYS = {
    "mastodon": (("config", "account", "handle"), ("config", "handle", "handle")),
    "bluesky": (("credentials", "identifier", "handle"), ("config", "actor", "handle")),
    "reddit": (("config", "username", "handle"), ("credentials", "username", "handle")),
    "youtube": (("config", "channel_id", "account_id"),),
    "facebook_page": (("config", "page_id", "account_id"),),
    "instagram": (("config", "ig_user_id", "account_id"),),
}


def channel_named_accounts(*, platform: str, config: dict, credentials: dict) -> list[dict]:
    """The accounts a channel's config and credentials name as the brand's own: Bluesky's
    ``identifier`` and ``actor``, a Facebook ``page_id``, an Instagram ``ig_user_id``, a YouTube
    ``channel_id``, a Mastodon or Reddit account. An account known only by its id is stored
    with the id as its handle."""
    sources = {"config": config or {}, "credentials": credentials or {}}
    named = []
    for source, key, kind in CHANNEL_ACCOUNT_KEYS.get(platform, ()):
        value = sources[source].get(key)
        if not isinstance(value, str) or not value.strip() or value.startswith("did:"):
            continue
        if kind == "handle":
            named.append({"platform": platform, "handle": normalise_account_handle(value),
                          "account_id": ""})  # fmt: skip
        else:
            named.append({"platform": platform, "handle": value.strip().lower(),
                          "account_id": value.strip()})  # fmt: skip
    return named


def client_accounts_add_from_channel(
    *, client: Client, platform: str, config: dict, credentials: dict
) -> int:
    """Record as the brand's the accounts a channel names, unless the client already lists them
    (as its own or as a competitor's: a listening channel may follow a competitor's account).
    Re-flags the client's mentions when it adds any; returns how many it added."""
    known = set(client.accounts.values_list("platform", "handle"))
    known_ids = set(client.accounts.exclude(account_id="").values_list("platform", "account_id"))
    new = [
        account
        for account in channel_named_accounts(
            platform=platform, config=config, credentials=credentials
        )
        if (account["platform"], account["handle"]) not in known
        and (account["platform"], account["account_id"]) not in known_ids
    ]
    if new:
        ClientAccount.objects.bulk_create(
            [ClientAccount(client=client, role=ClientAccount.Role.BRAND,
                           source=ClientAccount.Source.CHANNEL, **account) for account in new],
            ignore_conflicts=True,
        )  # fmt: skip
        events.client_accounts_changed.publish(client=client)
    return len(new)


@transaction.atomic
def client_delete(*, client: Client) -> None:
    """Delete a client with everything of it (channels, mentions, customers, policies)."""
    client.delete()


def client_membership_add(*, client: Client, user: User, role: str) -> ClientMembership:
    membership, _ = ClientMembership.objects.update_or_create(
        client=client, user=user, defaults={"role": role}
    )
    return membership


def client_membership_invited(*, user: User, client: Client, role: str, invited_by: User) -> None:
    """Bind a person just invited as a client user (``events.user_invited_to_client``) to
    ``client``, which must be one of the inviter's clients."""
    if not client_list(user=invited_by).filter(pk=client.pk).exists():
        raise ValidationError({"client": "Choose one of your clients."})
    ClientMembership.objects.create(user=user, client=client, role=role)


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

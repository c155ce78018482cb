"""Writes on clients, their accounts and memberships (the CRM overlay is in ``customers``)."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from apps.accounts.models import User
from apps.core import events
from apps.core.platforms import PLATFORMS

from .customers import BATCH_SIZE as BATCH_SIZE
from .customers import CUSTOMER_COLUMNS as CUSTOMER_COLUMNS
from .customers import HEADER_ROW as HEADER_ROW
from .customers import MAX_CUSTOMER_ROWS as MAX_CUSTOMER_ROWS
from .customers import CustomerImportError as CustomerImportError
from .customers import CustomerImportResult as CustomerImportResult
from .customers import customer_import_csv as customer_import_csv
from .models import (
    Client,
    ClientAccount,
    ClientMembership,
    normalise_account_handle,
)
from .selectors import client_list


def _validate_client(
    *, name: str, slug: str, timezone: str, locale: str = "en", exclude_pk: int | None = None
):
    errors = {}
    if locale not in dict(settings.RAPPORT_REPORT_LANGUAGES):
        languages = ", ".join(dict(settings.RAPPORT_REPORT_LANGUAGES))
        errors["locale"] = f"Reports are written in {languages}; not in '{locale}'."
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
    locale: str = "en",
    logo: tuple[bytes, str] | None = None,
) -> Client:
    """Create a client, with its own and competitors' accounts (see ``client_accounts_set``)
    and its logo (``(bytes, content type)`` as ``apps.core.images.logo_checked`` gives)."""
    slug = slug or slugify(name)
    _validate_client(name=name, slug=slug, timezone=timezone, locale=locale)
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
            locale=locale,
            logo=logo[0] if logo else None,
            logo_type=logo[1] if logo else "",
        )
        if accounts:
            _accounts_store(client, accounts)
    return client


CLIENT_FIELDS = (
    "name", "slug", "timezone", "brand_handles", "keywords", "competitors", "is_active", "locale",
)  # fmt: skip


def client_update(*, client: Client, **changes) -> Client:
    """Change the given fields of a client (``CLIENT_FIELDS``, ``brand_accounts``,
    ``competitor_accounts`` and ``logo``: ``(bytes, content type)``, or None to remove it); a
    change of its accounts or brand handles re-flags its mentions."""
    if "logo" in changes:
        logo = changes.pop("logo")
        changes["logo"], changes["logo_type"] = logo if logo else (None, "")
    accounts = _clean_account_fields(
        {field: changes.pop(field) for field in ACCOUNT_FIELDS if field in changes}
    )
    unknown = set(changes) - {*CLIENT_FIELDS, "logo", "logo_type"}
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
        name=client.name, slug=client.slug, timezone=client.timezone, locale=client.locale,
        exclude_pk=client.pk,
    )  # fmt: skip
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

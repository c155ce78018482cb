"""The connector contract: what every platform module returns and raises.

Connectors speak one platform's public API and return plain dataclasses; they never touch the ORM.
The fetch pipeline (``apps.channels.services``) pages through ``fetch`` and stores what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

MENTION_KINDS = ("post", "comment", "reply", "review", "message")


class ChannelLike(Protocol):
    """What a connector may read from a channel: its platform, config and decrypted credentials."""

    platform: str
    config: dict[str, Any]
    credentials: dict[str, Any]


@dataclass(frozen=True)
class AuthorData:
    """A person (or brand account) as the platform describes them."""

    handle: str
    display_name: str = ""
    followers: int | None = None
    profile_url: str = ""


@dataclass(frozen=True)
class MentionData:
    """One thing a customer said, normalised across platforms."""

    external_id: str
    text: str
    posted_at: datetime  # timezone-aware
    author: AuthorData
    kind: str = "post"  # one of MENTION_KINDS
    url: str = ""
    parent_external_id: str = ""
    rating: float | None = None  # reviews only
    language: str = ""
    engagement: int = 0  # likes + reposts + replies where the platform reports them


@dataclass(frozen=True)
class FetchPage:
    """One page of results and the cursor to resume after it has been stored.

    ``next_cursor`` is JSON-serialisable; ``has_more`` says whether another page is waiting now.
    """

    items: list[MentionData]
    next_cursor: dict[str, Any] | None
    has_more: bool = False


@dataclass(frozen=True)
class ReplyResult:
    external_id: str
    url: str = ""


class ConnectorError(Exception):
    """A failure the pipeline records on the channel's health."""

    retryable = False


class ConfigurationError(ConnectorError):
    """The channel's config or credentials are missing or wrong (fix the channel, don't retry)."""


class TransientError(ConnectorError):
    """Timeouts, connection errors, 5xx: worth retrying with backoff."""

    retryable = True


class RateLimited(TransientError):
    """HTTP 429: retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class MalformedResponse(ConnectorError):
    """The platform answered with something that is not its documented format."""

    retryable = True


class ReplyNotSupported(ConnectorError):
    """The platform (or this channel) does not allow posting replies."""


class RequestRejected(ConnectorError):
    """The platform refused the request itself (a 4xx other than auth, not-found or rate limit)."""


class FetchNotSupported(ConnectorError):
    """The platform is push-only (webhook) or import-only (csv): there is nothing to fetch."""


# --- what a platform's channel needs: one description for the API's validation and the forms -----


@dataclass(frozen=True)
class SettingField:
    """One key of a channel's ``config`` or ``credentials``.

    ``one_of`` names a group of which at least one key must be given; ``required_when`` is
    ``(other key, value)``: required when that key has that value. ``url`` keys are SSRF-checked.
    """

    key: str
    label: str
    help: str = ""
    required: bool = False
    one_of: str = ""
    required_when: tuple[str, str] | None = None
    choices: tuple[str, ...] = ()
    default: str = ""
    url: bool = False
    secret: bool = False


@dataclass(frozen=True)
class PlatformDescription:
    """A platform's channel settings, as every surface (API, "Add channel" form) checks them."""

    label: str
    config: tuple[SettingField, ...] = ()
    credentials: tuple[SettingField, ...] = ()
    fetches: bool = True  # False: pushed (webhook) or imported (CSV), never fetched

    def problems(self, config: dict[str, Any], credentials: dict[str, Any]) -> dict[str, str]:
        """Missing or unknown values, keyed ``config.<key>`` / ``credentials.<key>``."""
        errors: dict[str, str] = {}
        for where, fields, values in (
            ("config", self.config, config),
            ("credentials", self.credentials, credentials),
        ):
            given = {f.key for f in fields if str(values.get(f.key) or "").strip()}
            groups: dict[str, list[SettingField]] = {}
            for field in fields:
                value = str(values.get(field.key) or "").strip()
                if field.one_of:
                    groups.setdefault(field.one_of, []).append(field)
                needed = field.required or (
                    field.required_when is not None
                    and str(config.get(field.required_when[0]) or "") == field.required_when[1]
                )
                if needed and not value:
                    errors[f"{where}.{field.key}"] = f"Required: {field.label}."
                elif value and field.choices and value not in field.choices:
                    errors[f"{where}.{field.key}"] = f"Choose one of {', '.join(field.choices)}."
            for group in groups.values():
                if not any(field.key in given for field in group):
                    labels = " or ".join(field.label for field in group)
                    errors[f"{where}.{group[0].key}"] = f"Required: {labels}."
        return errors

    @property
    def url_keys(self) -> tuple[str, ...]:
        return tuple(field.key for field in self.config if field.url)


def base_url_field(default: str) -> SettingField:
    """The ``base_url`` every API platform takes (SPEC §10)."""
    return SettingField(
        "base_url", "Server address", help=f"Default {default}; any compatible server works.",
        default=default, url=True,
    )  # fmt: skip

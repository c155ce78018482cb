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

"""Registry of platform connectors: ``get_connector("mastodon").fetch(channel, cursor)``.

Every platform module exposes ``fetch(channel, cursor) -> FetchPage`` and
``reply(channel, mention_external_id, text) -> ReplyResult`` (raising ``FetchNotSupported`` or
``ReplyNotSupported`` where the platform does not allow it).
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from apps.core.platforms import PLATFORMS

from .base import ChannelLike, ConfigurationError, FetchPage, PlatformDescription, ReplyResult

REPLY_PLATFORMS = ("mastodon", "bluesky", "reddit", "youtube", "facebook_page", "instagram")
# The longest reply each platform accepts, in characters (its documented default limit).
REPLY_LENGTH_LIMITS = {
    "mastodon": 500,
    "bluesky": 300,
    "reddit": 10_000,
    "youtube": 10_000,
    "facebook_page": 8_000,
    "instagram": 2_200,
}
PUSH_PLATFORMS = ("webhook", "csv")


class Connector(Protocol):
    def fetch(self, channel: ChannelLike, cursor: dict[str, Any] | None) -> FetchPage: ...

    def reply(self, channel: ChannelLike, mention_external_id: str, text: str) -> ReplyResult: ...


def get_connector(platform: str) -> Connector:
    """The connector module for ``platform``; ``ConfigurationError`` for an unknown platform."""
    if platform not in PLATFORMS:
        raise ConfigurationError(
            f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}"
        )
    return importlib.import_module(f"{__name__}.{platform}")  # type: ignore[return-value]


def describe(platform: str) -> PlatformDescription:
    """What a channel of ``platform`` needs (its connector's ``DESCRIPTION``): the API validates
    with it and the "Add channel" form is built from it."""
    return get_connector(platform).DESCRIPTION  # type: ignore[attr-defined]

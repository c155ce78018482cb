"""Who else has a conversation open, or is writing a reply in it: presence by short polling.

Each open conversation posts its state (viewing or drafting) every ``POLL_SECONDS``; the state
lives in the cache under ``presence:mention:<id>`` (``KEY_FUNCTION`` prefixes every key with the
agency's schema, so agencies never see each other) for ``TTL_SECONDS``, one entry per person.
Two people posting at the same instant may drop each other's entry for one poll: the next one
restores it. No database rows, no new server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

from apps.accounts.models import User
from apps.listening.models import Mention

POLL_SECONDS = 4
TTL_SECONDS = 15  # an entry not refreshed for this long has left
STATES = ("viewing", "drafting")


@dataclass(frozen=True)
class Presence:
    user_id: int
    email: str
    state: str
    seconds_ago: int


def _key(mention_id: int) -> str:
    return f"presence:mention:{mention_id}"


def _fresh(entries: dict, now: float) -> dict:
    return {uid: e for uid, e in entries.items() if now - e["at"] < TTL_SECONDS}


def presence_mark(*, mention: Mention, user: User, state: str) -> None:
    """Record that ``user`` has ``mention`` open (``viewing``) or is writing in it
    (``drafting``); ``ValueError`` for another state."""
    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}")
    now = time.time()
    entries = _fresh(cache.get(_key(mention.pk)) or {}, now)
    entries[user.pk] = {"email": user.email, "state": state, "at": now}
    cache.set(_key(mention.pk), entries, TTL_SECONDS)


def presence_others(*, mention: Mention, user: User) -> list[Presence]:
    """The other people with ``mention`` open now, those drafting first."""
    now = time.time()
    entries = _fresh(cache.get(_key(mention.pk)) or {}, now)
    others = [
        Presence(uid, e["email"], e["state"], int(now - e["at"]))
        for uid, e in entries.items()
        if uid != user.pk
    ]
    return sorted(others, key=lambda p: (p.state != "drafting", p.email))

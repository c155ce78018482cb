"""Replies: their wording key (canned or personal), placeholders, the warning before a
copied reply is sent, and the collision with a colleague's recent reply."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.listening.models import Mention

from ..models import Acknowledgement

CANNED_AFTER = 2  # the same text sent to this many other people makes a reply canned
CANNED_WINDOW = timedelta(days=30)


def _first_name(display_name: str) -> str:
    return (display_name or "").split(" ")[0].lower()


def wording_key(text: str, handle: str, display_name: str) -> str:
    """A digest of a reply's words apart from its addressee's handle and first name: a template
    filled with different names has one key, so canned copies are found by an index probe."""
    if not text.strip():
        return ""
    drop = {handle.lower(), _first_name(display_name)}
    words = " ".join(w for w in re.findall(r"\w+", text.lower()) if w not in drop)
    return hashlib.sha256(words.encode()).hexdigest()


_PLACEHOLDER = re.compile(r"\{(first_name|handle)\}")


def reply_render(*, text: str, mention: Mention) -> str:
    """Fill a saved reply's ``{first_name}`` and ``{handle}`` for the mention's author (other
    braces are left as written: this is not ``str.format``, so a template cannot reach into
    objects)."""
    author = mention.author
    values = {
        "handle": f"@{author.handle}",
        "first_name": (author.display_name or author.handle).split(" ")[0],
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def _addresses(mention: Mention, text: str) -> bool:
    author = mention.author
    first_name = _first_name(author.display_name)
    return any(
        w.lstrip("@") == author.handle or (len(first_name) >= 2 and w == first_name)
        for w in re.findall(r"[\w.@-]+", text.lower())
    )


def _recipients(keys: set[str], client_ids: set[int]) -> dict[tuple[str, int], set[int]]:
    """Who (author ids) got each wording, per client, recently: one query for a whole batch."""
    found: dict[tuple[str, int], set[int]] = defaultdict(set)
    rows = (
        Acknowledgement.objects.filter(
            wording_key__in=keys - {""},
            mention__client_id__in=client_ids,
            created_at__gte=timezone.now() - CANNED_WINDOW,
        )
        .values_list("wording_key", "mention__client_id", "mention__author_id")
        .distinct()
    )
    for key, client_id, author_id in rows:
        found[key, client_id].add(author_id)
    return found


def _copies_sent(mention: Mention, key: str) -> int:
    """How many other people of the client got the same words (names aside) recently."""
    others = _recipients({key}, {mention.client_id})[key, mention.client_id]
    return len(others - {mention.author_id})


def _key(mention: Mention, text: str) -> str:
    return wording_key(text, mention.author.handle, mention.author.display_name)


def reply_warning(*, mentions: list[Mention], text: str) -> str:
    """A warning to show before sending ``text`` (a template or a written reply) to
    ``mentions``, or "" — a canned reply is not a personal acknowledgement."""
    if not text.strip() or not mentions:
        return ""
    rendered = reply_render(text=text, mention=mentions[0])
    people = (
        len({m.author_id for m in mentions})
        - 1
        + _copies_sent(mentions[0], _key(mentions[0], rendered))
    )
    if people < CANNED_AFTER:
        return ""
    return (
        f"The same words would reach {people + 1} people. A canned reply is not a personal "
        "acknowledgement: say something about what each of them wrote."
    )


COLLISION_WINDOW = timedelta(minutes=10)
# Acknowledgements that answer the person (a reaction or an internal resolution does not).
ANSWERING_KINDS = (Acknowledgement.Kind.REPLY, Acknowledgement.Kind.REPLIED_ELSEWHERE)


class ReplyCollision(ValidationError):
    """Someone already answered the same person moments ago: answering again needs ``force``
    (the API answers 409, the inbox asks for confirmation). ``recent`` holds those replies."""

    def __init__(self, recent: list[Acknowledgement]):
        self.recent = recent
        latest = recent[0]
        who = latest.user.email if latest.user else "Someone"
        minutes = max(0, round((timezone.now() - latest.created_at).total_seconds() / 60))
        super().__init__(
            {
                "force": f"{who} answered @{latest.mention.author.handle} {minutes} min ago "
                f"(“{latest.text[:80]}”). Send another reply anyway?"
            }
        )


def recent_replies(*, mentions: list[Mention]) -> list[Acknowledgement]:
    """Replies to the people of ``mentions`` (same author, same client, any mention) in the last
    ``COLLISION_WINDOW``, newest first — one query (the client's latest acknowledgements, by
    ack_client_created_idx)."""
    if not mentions:
        return []
    return list(
        Acknowledgement.objects.filter(
            client_id__in={m.client_id for m in mentions},
            mention__author_id__in={m.author_id for m in mentions},
            kind__in=ANSWERING_KINDS,
            created_at__gte=timezone.now() - COLLISION_WINDOW,
        )
        .select_related("user", "mention__author")
        .order_by("-created_at", "-pk")
    )

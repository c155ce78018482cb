"""Writes that bring stored mentions' signals up to date: spam scored again with the current
rules (``spam``), authors' influence where it was never computed, and (through the clients'
service) brand and competitor accounts. Ingest decides all of this for new mentions; these
correct what was stored before, run by ``manage.py refresh_signals`` (and ``seed_demo``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction

from apps.clients.models import Client

from .client_links import client_accounts_reflag
from .influence import INFLUENCE_SQL
from .models import Author, Mention
from .spam import (
    REPEATED_AUTHORS,
    THRESHOLD,
    AuthorFacts,
    author_score,
    normalised_text,
    text_score,
)

NEARBY = timedelta(days=1)  # the same text from other authors counts within a day either way
BATCH = 5000


@dataclass
class SignalsRefresh:
    """What ``signals_refresh`` changed."""

    spam_marked: int = 0
    spam_cleared: int = 0
    needs_acknowledgement_changed: int = 0
    influence_scored: int = 0


def mentions_rescore_spam(*, client: Client) -> tuple[int, int]:
    """Score every mention of ``client`` again with ``spam`` — its text, the same text from
    other authors within a day, a first mention from an account with few followers — and store
    the changed verdicts. Brand and competitor accounts are never spam. Returns (marked,
    cleared); ``needs_acknowledgement`` follows through ``client_accounts_reflag``."""
    rows = list(
        Mention.objects.filter(client=client)
        .order_by("posted_at", "pk")
        .values_list(
            "pk", "author_id", "text", "posted_at", "is_spam",
            "author__followers", "author__account_role",
        )
    )  # fmt: skip
    by_text: dict[str, list[tuple]] = defaultdict(list)
    first_of_author: dict[int, int] = {}
    for row in rows:
        first_of_author.setdefault(row[1], row[0])
        by_text[normalised_text(row[2])].append(row)
    others: dict[int, int] = {}
    for key, group in by_text.items():
        if len(key) < 20 or len({row[1] for row in group}) <= REPEATED_AUTHORS:
            continue
        for row in group:
            near = {o[1] for o in group if abs(o[3] - row[3]) <= NEARBY and o[1] != row[1]}
            others[row[0]] = len(near)
    marked, cleared = [], []
    for pk, author_id, text, _, was_spam, followers, role in rows:
        facts = AuthorFacts(
            followers=followers,
            is_new=first_of_author[author_id] == pk,
            same_text_authors=others.get(pk, 0),
        )
        spam = not role and text_score(text) + author_score(facts) >= THRESHOLD
        if spam != was_spam:
            (marked if spam else cleared).append(pk)
    with transaction.atomic():
        for ids, value in ((marked, True), (cleared, False)):
            for start in range(0, len(ids), BATCH):
                Mention.objects.filter(pk__in=ids[start : start + BATCH]).update(is_spam=value)
    return len(marked), len(cleared)


def authors_score_unscored() -> int:
    """Give every author still at influence 0 a score from all their mentions (followers,
    engagement, number), as ingest does from the first fetch; returns how many changed."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Author._meta.db_table} author SET influence = {INFLUENCE_SQL}
            FROM (
                SELECT m.author_id, count(*) AS recent, avg(m.engagement) AS engagement
                FROM {Mention._meta.db_table} m GROUP BY m.author_id
            ) activity
            WHERE author.id = activity.author_id AND author.influence = 0
              AND {INFLUENCE_SQL} > 0
            """  # noqa: S608 - names from model metadata and module constants
        )
        return cursor.rowcount


def signals_refresh() -> SignalsRefresh:
    """Bring the current agency's stored signals up to date (idempotent): spam, accounts and
    with them ``needs_acknowledgement``, customers and advocates, then unscored influence."""
    result = SignalsRefresh()
    for client in Client.objects.order_by("pk"):
        marked, cleared = mentions_rescore_spam(client=client)
        result.spam_marked += marked
        result.spam_cleared += cleared
    result.needs_acknowledgement_changed = client_accounts_reflag()
    result.influence_scored = authors_score_unscored()
    return result

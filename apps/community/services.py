"""Writes on people: every author of a client's mentions belongs to one person of that client,
linked by the CRM where it names them, suggested by evidence, merged and split by staff.

Authors get their person soon after their mentions are stored (the ``mentions_stored`` event
queues ``people_link_new_mentions`` through the outbox, off the storing path); a CRM
import re-links the client's people (``customers_imported``); ``people_refresh`` catches up
after loads that bypass ingest (the benchmarks' ``COPY``). A staff decision is final: the CRM
never moves an author that staff merged or split.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.acknowledgements.models import AuditEntry
from apps.clients.models import Client, Customer
from apps.core import outbox
from apps.listening.models import Author, Mention

from .models import Person, PersonAuthor, PersonLinkSuggestion
from .selectors import community_forget

_P = Person._meta.db_table
_PA = PersonAuthor._meta.db_table
_M = Mention._meta.db_table
_A = Author._meta.db_table
_C = Customer._meta.db_table

# What suggestions compare: the display name folded, the profile link without scheme and "www."
NAME_KEY_SQL = "lower(btrim(a.display_name))"
WEBSITE_KEY_SQL = (
    r"lower(rtrim(regexp_replace(btrim(a.profile_url), '^[a-zA-Z]+://(www\.)?', ''), '/'))"
)

# The (client, author) pairs of the scoped mentions that have no person yet.
_UNLINKED = f"""
    SELECT d.client_id, d.author_id,
           left(COALESCE(NULLIF(btrim(a.display_name), ''), a.handle), 300),
           left({NAME_KEY_SQL}, 300), left({WEBSITE_KEY_SQL}, 1000)
    FROM (SELECT DISTINCT m.client_id, m.author_id FROM {_M} m WHERE {{scope}}) d
    JOIN {_A} a ON a.id = d.author_id
    WHERE NOT EXISTS (
        SELECT 1 FROM {_PA} pa WHERE pa.client_id = d.client_id AND pa.author_id = d.author_id
    )
    ORDER BY d.client_id, d.author_id
"""  # noqa: S608 - table names come from model metadata; values are parameters
# The CRM's customers of the scoped mentions: each gets one person (the lowest of its authors'
# people that is nobody else's customer), and their authors move to it — unless staff decided.
_CUSTOMER_AUTHORS = f"SELECT DISTINCT m.client_id, m.customer_id, m.author_id FROM {_M} m WHERE m.customer_id IS NOT NULL AND {{scope}}"  # noqa: E501, S608
_CLAIM_CUSTOMER_PEOPLE = f"""
    WITH needs AS (
        SELECT c.client_id, c.customer_id, min(pa.person_id) AS person_id
        FROM ({_CUSTOMER_AUTHORS}) c
        JOIN {_PA} pa ON pa.client_id = c.client_id AND pa.author_id = c.author_id
        JOIN {_P} p ON p.id = pa.person_id AND p.customer_id IS NULL
        WHERE pa.linked_by <> 'staff' AND NOT EXISTS (
            SELECT 1 FROM {_P} q WHERE q.client_id = c.client_id AND q.customer_id = c.customer_id
        )
        GROUP BY c.client_id, c.customer_id
    )
    UPDATE {_P} p SET customer_id = n.customer_id,
                      name = left(COALESCE(NULLIF(btrim(cu.name), ''), p.name), 300)
    FROM needs n JOIN {_C} cu ON cu.id = n.customer_id
    WHERE p.id = n.person_id
"""  # noqa: S608
# Returns the people the authors left (``old`` is read before the update).
_MOVE_TO_CUSTOMER_PEOPLE = f"""
    UPDATE {_PA} pa SET person_id = p.id, linked_by = 'crm', linked_at = %(now)s
    FROM ({_CUSTOMER_AUTHORS}) c, {_P} p, {_PA} old
    WHERE pa.client_id = c.client_id AND pa.author_id = c.author_id AND pa.linked_by <> 'staff'
      AND p.client_id = c.client_id AND p.customer_id = c.customer_id
      AND (pa.person_id <> p.id OR pa.linked_by <> 'crm') AND old.id = pa.id
    RETURNING old.person_id
"""  # noqa: S608


def _drop_empty(person_ids: Iterable[int]) -> None:
    """People left without authors (a concurrent ingest linked the author first; a move)."""
    Person.objects.filter(pk__in=set(person_ids), links__isnull=True).delete()


def _link(scope: str, params: dict) -> list[int]:
    """Own people for unlinked authors, then CRM links, within ``scope`` (a condition on the
    mentions ``m``); the ids of the authors newly linked."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_UNLINKED.format(scope=scope), params)
        unlinked = cursor.fetchall()
    people = Person.objects.bulk_create(
        Person(client_id=client_id, name=name, created_at=now)
        for client_id, _, name, _, _ in unlinked
    )
    PersonAuthor.objects.bulk_create(
        (
            PersonAuthor(
                client_id=client_id,
                person=person,
                author_id=author_id,
                name_key=name_key,
                website_key=website_key,
                linked_at=now,
            )
            for person, (client_id, author_id, _, name_key, website_key) in zip(
                people, unlinked, strict=True
            )
        ),
        ignore_conflicts=True,
    )
    _drop_empty(person.pk for person in people)
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_CUSTOMER_PEOPLE.format(scope=scope), params)
        cursor.execute(_MOVE_TO_CUSTOMER_PEOPLE.format(scope=scope), {**params, "now": now})
        _drop_empty(row[0] for row in cursor.fetchall())
    return [author_id for _, author_id, _, _, _ in unlinked]


def people_link_later(*, client_id: int, mention_ids: list[int]) -> None:
    """Queue the linking of newly stored mentions' authors (the ``mentions_stored`` event): a
    task through the outbox, so that storing a page does not wait for it."""
    outbox.enqueue("apps.community.tasks.link_people", client_id, list(mention_ids))


def people_link_new_mentions(*, client_id: int, mention_ids: list[int]) -> int:
    """Give the authors of newly stored mentions their person: their CRM customer's person when
    the CRM names them, else one of their own; then look for evidence that a new author is
    someone the client already knows. Returns how many authors were linked."""
    with transaction.atomic():
        community_forget(client_id)  # now, for this transaction, and once others can see them
        transaction.on_commit(lambda: community_forget(client_id))
        linked = _link("m.id = ANY(%(mentions)s)", {"mentions": mention_ids})
        if linked:
            link_suggestions_find(client_id=client_id, author_ids=linked)
    return len(linked)


def people_link_customers_of(*, client_id: int) -> None:
    """Re-link a client's people to its CRM after an import (the ``customers_imported`` event)."""
    _link("m.client_id = %(client)s", {"client": client_id})


def people_refresh(*, client: Client | None = None) -> int:
    """Catch up: a person for every author of the client's (or every client's) mentions that
    has none, CRM links, and link suggestions for the newly linked. Returns how many authors
    were linked."""
    clients = [client] if client else list(Client.objects.all())
    linked_total = 0
    for each in clients:
        with transaction.atomic():
            linked = _link("m.client_id = %(client)s", {"client": each.pk})
            if linked:
                link_suggestions_find(client_id=each.pk, author_ids=linked)
        linked_total += len(linked)
    return linked_total


# --- suggestions -------------------------------------------------------------------------------


def _handle_core(author: Author) -> str:
    """The distinctive part of a handle: "ana" of "@ana@mastodon.social" or "ana.bsky.social"."""
    handle = author.handle.lstrip("@").split("@")[0]
    return handle.split(".")[0] if author.platform == "bluesky" else handle


def _evidence(author: Author, other: Author, *, name: str, website: str) -> list[str]:
    """Why ``author`` and ``other`` may be one person (empty: not enough)."""
    reasons = []
    if website and website == other_website(other):
        reasons.append(f"Both profiles link to the same website ({website}).")
    if name and name == other_name(other):
        for one, two in ((author, other), (other, author)):
            core = _handle_core(two)
            if len(core) >= 3 and core.lower() in one.profile_url.lower():
                reasons.append(
                    f"Same display name \u201c{author.display_name.strip()}\u201d on "
                    f"{author.platform} and {other.platform}, and the {one.platform} profile link "
                    f"({one.profile_url}) names the {two.platform} handle {two.handle}."
                )
                break
    return reasons


def other_name(author: Author) -> str:
    return author.display_name.strip().lower()


def other_website(author: Author) -> str:
    url = author.profile_url.strip().lower()
    for prefix in ("https://", "http://"):
        url = url.removeprefix(prefix)
    return url.removeprefix("www.").rstrip("/")


def link_suggestions_find(*, client_id: int, author_ids: Iterable[int]) -> int:
    """Suggest linking each of ``author_ids`` with authors of other people of the client who
    share their display name and whose profile names their handle, or share their website.
    Nothing is linked: staff decide. Returns how many suggestions were made."""
    new = {
        link.author_id: link
        for link in PersonAuthor.objects.filter(client_id=client_id, author_id__in=author_ids)
        .exclude(name_key="", website_key="")
        .select_related("author")
    }
    if not new:
        return 0
    names = {link.name_key for link in new.values() if link.name_key}
    websites = {link.website_key for link in new.values() if link.website_key}
    candidates = (
        PersonAuthor.objects.filter(client_id=client_id)
        .filter(Q(name_key__in=names) | Q(website_key__in=websites))
        .select_related("author")
    )
    by_key: dict[tuple[str, str], list[PersonAuthor]] = defaultdict(list)
    for link in candidates:
        if link.name_key:
            by_key["name", link.name_key].append(link)
        if link.website_key:
            by_key["website", link.website_key].append(link)
    suggestions = {}
    for link in new.values():
        others = by_key.get(("name", link.name_key), []) + by_key.get(
            ("website", link.website_key), []
        )
        for other in others:
            if other.person_id == link.person_id or other.author_id == link.author_id:
                continue
            reasons = _evidence(
                link.author, other.author, name=link.name_key, website=link.website_key
            )
            if reasons:
                pair = tuple(sorted((link.author_id, other.author_id)))
                suggestions[pair] = PersonLinkSuggestion(
                    client_id=client_id, author_id=pair[0], other_author_id=pair[1],
                    evidence=reasons,
                )  # fmt: skip
    made = PersonLinkSuggestion.objects.bulk_create(
        suggestions.values(), ignore_conflicts=True
    )  # fmt: skip
    return len(made)


# --- staff decisions ---------------------------------------------------------------------------

STAFF_ROLES = (User.Role.OWNER, User.Role.MANAGER, User.Role.RESPONDER)


def _require_staff(user: User) -> None:
    if user.role not in STAFF_ROLES:
        raise PermissionError("Only agency staff link, merge or split people.")


def _person_snapshot(person: Person) -> dict:
    return {
        "person": person.pk,
        "name": person.name,
        "customer": person.customer_id,
        "authors": sorted(person.links.values_list("author_id", flat=True)),
    }


def _audit(*, user: User, action: str, person: Person, before: dict, after: dict) -> None:
    AuditEntry.objects.create(
        actor=user, action=action, object_type="person", object_id=person.pk,
        before=before, after=after,
    )  # fmt: skip


@transaction.atomic
def person_merge(*, person: Person, other: Person, user: User) -> Person:
    """Fold ``other`` (of the same client) into ``person``: its authors become ``person``'s, by
    staff decision, and ``other`` is gone. Audited on ``person``."""
    _require_staff(user)
    if other.pk == person.pk:
        raise ValidationError({"person": "A person cannot be merged with themselves."})
    if other.client_id != person.client_id:
        raise ValidationError({"person": "Both people must be of the same client."})
    locked = {
        p.pk: p
        for p in Person.objects.select_for_update().filter(pk__in=(person.pk, other.pk))
    }  # fmt: skip
    if len(locked) != 2:
        raise ValidationError({"person": "That person no longer exists."})
    person, other = locked[person.pk], locked[other.pk]
    if person.customer_id and other.customer_id and person.customer_id != other.customer_id:
        raise ValidationError(
            {"person": "Both are different CRM customers: merge the customers in the CRM first."}
        )
    before = {"kept": _person_snapshot(person), "merged": _person_snapshot(other)}
    moved = list(other.links.values_list("author_id", flat=True))
    PersonAuthor.objects.filter(person=other).update(
        person=person, linked_by=PersonAuthor.LinkedBy.STAFF, linked_at=timezone.now()
    )
    person.links.update(linked_by=PersonAuthor.LinkedBy.STAFF)
    customer_id = person.customer_id or other.customer_id
    other.delete()
    if customer_id != person.customer_id:
        person.customer_id = customer_id
        person.save(update_fields=["customer"])
    mine = list(person.links.values_list("author_id", flat=True))
    PersonLinkSuggestion.objects.filter(
        client_id=person.client_id, status=PersonLinkSuggestion.Status.PENDING,
        author_id__in=mine, other_author_id__in=mine,
    ).update(status=PersonLinkSuggestion.Status.ACCEPTED, decided_by=user,
             decided_at=timezone.now())  # fmt: skip
    _audit(
        user=user, action="merge_person", person=person, before=before,
        after={**_person_snapshot(person), "moved_authors": sorted(moved)},
    )  # fmt: skip
    return person


@transaction.atomic
def person_split(*, person: Person, author_ids: Iterable[int], user: User) -> Person:
    """Move ``author_ids`` (some, not all, of ``person``'s authors) to a new person of the same
    client, by staff decision (the CRM will not join them again). Audited on both people."""
    _require_staff(user)
    person = Person.objects.select_for_update().get(pk=person.pk)
    author_ids = set(author_ids)
    mine = set(person.links.values_list("author_id", flat=True))
    if not author_ids:
        raise ValidationError({"authors": "Name the authors to split off."})
    if author_ids - mine:
        raise ValidationError(
            {"authors": f"Not authors of this person: {sorted(author_ids - mine)}"}
        )
    if author_ids == mine:
        raise ValidationError({"authors": "Leave at least one author with the person."})
    before = _person_snapshot(person)
    first = Author.objects.filter(pk__in=author_ids).order_by("pk").first()
    split = Person.objects.create(
        client_id=person.client_id, name=first.display_name.strip() or first.handle
    )
    now = timezone.now()
    person.links.filter(author_id__in=author_ids).update(
        person=split, linked_by=PersonAuthor.LinkedBy.STAFF, linked_at=now
    )
    person.links.update(linked_by=PersonAuthor.LinkedBy.STAFF, linked_at=now)
    after = {**_person_snapshot(person), "split_into": split.pk}
    _audit(user=user, action="split_person", person=person, before=before, after=after)
    _audit(
        user=user, action="split_person", person=split, before={"split_from": person.pk},
        after=_person_snapshot(split),
    )  # fmt: skip
    return split


@transaction.atomic
def link_suggestion_decide(
    *, suggestion: PersonLinkSuggestion, user: User, accept: bool
) -> PersonLinkSuggestion:
    """Staff accept (the two authors' people merge) or reject a suggested link; audited."""
    _require_staff(user)
    suggestion = PersonLinkSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != PersonLinkSuggestion.Status.PENDING:
        raise ValidationError({"suggestion": f"Already {suggestion.status}."})
    links = {
        link.author_id: link.person
        for link in PersonAuthor.objects.filter(
            client_id=suggestion.client_id,
            author_id__in=(suggestion.author_id, suggestion.other_author_id),
        ).select_related("person")
    }
    kept, other = links[suggestion.author_id], links[suggestion.other_author_id]
    if accept and kept.pk != other.pk:
        person_merge(person=kept, other=other, user=user)
    suggestion.status = (
        PersonLinkSuggestion.Status.ACCEPTED if accept else PersonLinkSuggestion.Status.REJECTED
    )
    suggestion.decided_by, suggestion.decided_at = user, timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    if not accept:
        _audit(
            user=user, action="reject_person_link", person=kept,
            before={"suggestion": suggestion.pk, "evidence": suggestion.evidence},
            after={"status": suggestion.status, "other_person": other.pk},
        )  # fmt: skip
    return suggestion

"""Reads of the inbox pages, each built on ``mention_list`` so the user's scope always applies:
the filtered list, its counts per status, a conversation's thread and its author's history; and
the home page's (the onboarding checklist, then staff's queue, SLAs at risk and failing
channels, client users' brand inbox and latest report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.acknowledgements.models import SlaPolicy
from apps.channels.models import Channel
from apps.channels.selectors import channel_list
from apps.clients.models import Client
from apps.clients.selectors import client_list
from apps.community.selectors import helper_authors
from apps.core.keyset import encode_cursor, keyset_page, ordering_keys
from apps.listening.models import OPEN_STATUSES, Mention, open_q
from apps.listening.selectors import (
    COUNTED_FILTERS,
    mention_list,
    mention_order,
    mention_search,
    mention_status_counts,
)

INFLUENCER_MIN = 50  # author influence (0-100) from which a person counts as an influencer
HISTORY_SIZE = 20
# What a card (and the home page's queue) reads of a mention and of the rows selected with it;
# the rest is left in the database — a client's logo and settings, a channel's secrets and fetch
# state, a person's password, the mention's own matched queries, tags and model scores: most
# columns of a page, each read, converted and set per row (the conversation reads its mention
# again). Named as ``only`` takes them: Django builds such a query's columns faster than from a
# list of what to leave out.
CARD_SHOWN = {
    "client": ("name", "timezone"),
    "channel": ("name", "platform"),
    "author": ("handle", "display_name", "influence", "account_role", "is_advocate"),
    "team": ("name",),
    "assigned_to": ("email", "first_name", "last_name", "role"),
}
CARD_READ = (
    "client", "channel", "platform", "author", "text", "posted_at", "sentiment", "intent",
    "sentiment_corrected", "needs_acknowledgement", "is_follow_up", "status", "sla_due_at",
    "priority", "priority_key", "assigned_to", "team", "customer",
    *(f"{relation}__{name}" for relation, shown in CARD_SHOWN.items() for name in shown),
)  # fmt: skip
# What a conversation's thread and the person's history show of each mention listed there.
LINE_READ = (
    "client", "channel", "author", "text", "posted_at", "status", "client__name",
    "client__timezone", "channel__name", "author__handle", "author__account_role",
)  # fmt: skip
# Nor does a conversation read its client's logo or its channel's settings, secrets and place.
CONVERSATION_UNREAD = (
    "client__logo", "channel__config", "channel__credentials_encrypted", "channel__cursor",
    "channel__webhook_secret_encrypted",
)  # fmt: skip
THREAD_DEPTH = 50  # parent links followed at most, either way (a malformed cycle ends here)
THREAD_SIZE = 200


def inbox_mention_list(*, user: User, filters: dict[str, Any]) -> QuerySet[Mention]:
    """The mentions of ``mention_list`` narrowed by the inbox filters: ``status`` (``open`` —
    ``MentionQuerySet.open``: needing acknowledgement and new, assigned or escalated —, ``all``
    or one status; new, assigned and escalated are parts of Open, so only mentions that need
    acknowledgement), ``priority``, ``customer`` (only authors linked to a CRM customer),
    ``influencer`` (author influence ≥ ``INFLUENCER_MIN``, never a brand's or competitor's
    account), ``helper`` (authors who are community helpers of their client) and those
    ``mention_list`` takes (``client``, ``channel``, ``sentiment``, ``intent``, ``team``,
    ``q``). Newest first, or best match first with ``q``, unless ``ordering`` (one of
    ``MENTION_ORDERINGS``) says otherwise."""
    own = {"status", "priority", "customer", "influencer", "ordering", "helper", "q"}
    mentions = (
        mention_list(
            user=user, filters={key: value for key, value in filters.items() if key not in own}
        )
        .select_related("team", "assigned_to")
        .only(*CARD_READ)
    )
    status = filters.get("status") or "open"
    if status == "open":
        mentions = mentions.open()
    elif status in OPEN_STATUSES:  # one part of Open (the planner then estimates it well)
        mentions = mentions.needing_acknowledgement().filter(status=status)
    elif status != "all":
        mentions = mentions.filter(status=status)
    if filters.get("priority"):
        mentions = mentions.filter(priority=filters["priority"])
    if filters.get("customer"):
        mentions = mentions.filter(customer__isnull=False)
    if filters.get("influencer"):
        mentions = mentions.filter(author__influence__gte=INFLUENCER_MIN, author__account_role="")
    if filters.get("helper"):
        clients = client_list(user=user)
        if filters.get("client") is not None:
            clients = clients.filter(pk=filters["client"])
        helpers = Q(pk__in=[])
        for client_id, authors in helper_authors(clients=clients).items():
            helpers |= Q(client_id=client_id, author_id__in=authors)
        mentions = mentions.filter(helpers)
    # Searched last: the candidates it ranks are then taken from the filtered mentions.
    mentions = mention_search(mentions, filters.get("q") or "")
    if filters.get("ordering"):
        mentions = mention_order(mentions, filters["ordering"])
    return mentions


def mark_helpers(mentions: list[Mention]) -> list[Mention]:
    """Set ``is_helper`` on each mention whose author is a community helper of its client."""
    clients = {m.client_id: m.client for m in mentions}  # selected with the mentions
    helpers = helper_authors(clients=clients.values())
    for mention in mentions:
        mention.is_helper = mention.author_id in helpers.get(mention.client_id, ())
    return mentions


def inbox_status_counts(*, user: User, filters: dict[str, Any]) -> dict[str, int]:
    """How many of the filtered mentions are in each status (the status filter and the order
    aside): ``{"new": …, "assigned": …, …, "open": …, "all": …}`` — the open statuses and Open
    itself counted as ``inbox_mention_list`` lists them (``MentionQuerySet.open``). From the
    maintained counters (``mention_status_counts``) unless a filter they do not keep is set
    (search, customers, influencers, helpers): then one aggregate over the narrowed mentions."""
    narrowing = {
        key: value
        for key, value in filters.items()
        if key not in ("status", "ordering") and value not in (None, "", False)
    }
    if set(narrowing) <= set(COUNTED_FILTERS):
        return mention_status_counts(user=user, filters=narrowing)
    mentions = inbox_mention_list(user=user, filters={**filters, "status": "all"}).order_by()
    counts = mentions.aggregate(
        **{
            status: Count(
                "pk", filter=Q(status=status) & (open_q() if status in OPEN_STATUSES else Q())
            )
            for status in Mention.Status.values
        },
        open=Count("pk", filter=open_q()),
        all=Count("pk"),
    )
    return counts


def inbox_mention_following(
    *, user: User, filters: dict[str, Any], after: Mention
) -> Mention | None:
    """The mention listed next after ``after`` in the inbox as ``filters`` filter and order it
    (``after`` may have left the list: an action just handled it), else the first one listed;
    None when nobody else is listed. One keyset step from ``after``'s place in the order."""
    listed = inbox_mention_list(user=user, filters=filters).exclude(pk=after.pk)
    everything = inbox_mention_list(user=user, filters={**filters, "status": "all"})
    place = everything.filter(pk=after.pk).first()  # its ordering keys (a rank, a score)
    if place is not None:
        cursor = encode_cursor(ordering_keys(listed), place)
        following = keyset_page(listed, 1, cursor).rows
        if following:
            return following[0]
    return listed.first()


def inbox_mention_get(*, user: User, mention_id: int) -> Mention:
    """A mention the user may see, with what its conversation page shows about it;
    ``Mention.DoesNotExist`` otherwise (→ 404)."""
    mentions = mention_list(user=user).select_related("customer", "team", "assigned_to")
    return mentions.defer(*CONVERSATION_UNREAD).get(pk=mention_id)


_THREAD = f"""
    WITH RECURSIVE up(id, external_id, parent_external_id, depth) AS (
        SELECT id, external_id, parent_external_id, 0 FROM {Mention._meta.db_table}
        WHERE id = %(mention)s
      UNION
        SELECT parent.id, parent.external_id, parent.parent_external_id, up.depth + 1
        FROM up JOIN {Mention._meta.db_table} parent
          ON parent.channel_id = %(channel)s AND parent.external_id = up.parent_external_id
        WHERE up.parent_external_id <> '' AND up.depth < %(depth)s
    ), root AS (
        SELECT external_id, parent_external_id FROM up ORDER BY depth DESC LIMIT 1
    ), first_posts(id, external_id) AS (
        -- the first post, and its siblings when the post it answered was never fetched; each
        -- read by an index (replies by the partial mention_thread_idx: hence "<> ''")
        SELECT m.id, m.external_id FROM {Mention._meta.db_table} m, root
        WHERE m.channel_id = %(channel)s AND m.external_id = root.external_id
      UNION
        SELECT m.id, m.external_id FROM {Mention._meta.db_table} m, root
        WHERE m.channel_id = %(channel)s AND root.parent_external_id <> ''
          AND m.parent_external_id = root.parent_external_id AND m.parent_external_id <> ''
    ), down(id, external_id, depth) AS (
        SELECT id, external_id, 0 FROM first_posts
      UNION
        SELECT child.id, child.external_id, down.depth + 1
        FROM down JOIN {Mention._meta.db_table} child
          ON child.channel_id = %(channel)s AND child.parent_external_id = down.external_id
        WHERE down.depth < %(depth)s AND child.parent_external_id <> ''
    )
    SELECT id FROM up UNION SELECT id FROM down LIMIT %(size)s
"""  # noqa: S608 - names from model metadata


def mention_thread(*, user: User, mention: Mention) -> list[Mention]:
    """The conversation ``mention`` belongs to on its channel: up the ``parent_external_id``
    links to the first post, then down to every reply of it, oldest first — only what the user
    may see (a team member sees the routed parts). Just the mention itself when it stands alone."""
    with connection.cursor() as cursor:
        cursor.execute(
            _THREAD,
            {
                "mention": mention.pk,
                "channel": mention.channel_id,
                "depth": THREAD_DEPTH,
                "size": THREAD_SIZE,
            },
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    if ids == [mention.pk]:  # it stands alone (most do): nothing more to read
        return [mention]
    listed = mention_list(user=user).filter(pk__in=ids).only(*LINE_READ)
    return list(listed.order_by("posted_at", "pk"))


def author_history(*, user: User, mention: Mention, limit: int = HISTORY_SIZE) -> list[Mention]:
    """What the same person said to the client before and since, on every channel (and on other
    platforms too when the author is linked to a CRM customer), newest first."""
    person = Q(author_id=mention.author_id)
    if mention.customer_id is not None:
        person |= Q(customer_id=mention.customer_id)
    return list(
        mention_list(user=user)
        .filter(person, client_id=mention.client_id)
        .exclude(pk=mention.pk)
        .only(*LINE_READ)
        .order_by("-posted_at", "-pk")[:limit]
    )


def assignee_list(*, client_id: int | None = None) -> QuerySet[User]:
    """Whom mentions can be assigned to: active agency staff and team members, and the client's
    own responders (of ``client_id``)."""
    people = Q(role__in=[*User.STAFF_ROLES, User.Role.TEAM_MEMBER])
    if client_id is not None:
        people |= Q(role=User.Role.CLIENT_RESPONDER, client_memberships__client_id=client_id)
    return User.objects.filter(people, is_active=True).distinct().order_by("email")


# --- the home page -------------------------------------------------------------------------------

SLA_AT_RISK_WITHIN = timedelta(hours=1)
HOME_LIST_SIZE = 5


@dataclass(frozen=True)
class OnboardingStep:
    key: str
    label: str
    done: bool
    link: str


def onboarding_steps() -> list[OnboardingStep]:
    """The agency's first steps, each with whether it is done (a handful of EXISTS queries)."""
    staff = User.objects.exclude(role__in=User.CLIENT_ROLES)
    return [
        OnboardingStep("client", "Add a client", Client.objects.exists(),
                       reverse("clients:new")),
        OnboardingStep("channel", "Connect a channel", Channel.objects.exists(),
                       reverse("channels:new")),
        OnboardingStep("mentions", "First mentions arrive", Mention.objects.exists(),
                       reverse("inbox:list")),
        OnboardingStep("sla", "Set an SLA", SlaPolicy.objects.exists(),
                       reverse("workspace:index")),
        OnboardingStep("teammate", "Invite a teammate", staff.count() > 1,
                       reverse("accounts:people")),
        OnboardingStep("client_user", "Invite the client",
                       User.objects.filter(role__in=User.CLIENT_ROLES).exists(),
                       reverse("clients:index")),
    ]  # fmt: skip


def staff_home(*, user: User) -> dict:
    """A staff member's home: their queue, open mentions whose SLA is due within the hour or
    past, and the channels failing."""
    now = timezone.now()
    open_mentions = inbox_mention_list(user=user, filters={"status": "open"})
    at_risk = open_mentions.filter(
        sla_due_at__isnull=False, sla_due_at__lte=now + SLA_AT_RISK_WITHIN
    ).order_by("sla_due_at")
    mine = open_mentions.filter(assigned_to=user).order_by("sla_due_at", "-posted_at")
    failing = channel_list(user=user).filter(
        Q(health=Channel.Health.FAILING) | Q(health=Channel.Health.DEGRADED),
        disconnected_at__isnull=True,
    )
    return {
        "my_queue": list(mine.select_related("author", "client")[:HOME_LIST_SIZE]),
        "my_queue_count": mine.count(),
        "at_risk": list(at_risk.select_related("author", "client")[:HOME_LIST_SIZE]),
        "at_risk_count": at_risk.count(),
        "failing_channels": list(failing),
    }


def _brand(user: User, client: Client) -> dict:
    report_url = reverse("reporting:dashboard", args=[client.pk])
    latest = client.monthly_reports.order_by("-month").first()
    latest_url = ""
    if latest is not None:
        last_day = (latest.month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        latest_url = f"{report_url}?since={latest.month.isoformat()}&until={last_day.isoformat()}"
    return {
        "client": client,
        "counts": inbox_status_counts(user=user, filters={"client": client.pk}),
        "report_url": report_url,
        "latest_report": latest,
        "latest_report_url": latest_url,
    }


def client_home(*, user: User) -> dict:
    """A client user's home: each of their brands' inbox by status and its latest monthly
    report."""
    clients = client_list(user=user).filter(is_active=True).order_by("name")
    return {"brands": [_brand(user, client) for client in clients]}

"""What an agency's home page shows: the onboarding checklist until every step is done, then
each person's work — staff their queue, SLAs at risk and failing channels; client users their
brand's inbox and latest report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.acknowledgements.models import SlaPolicy
from apps.channels.models import Channel
from apps.channels.selectors import channel_list
from apps.clients.models import Client
from apps.clients.selectors import client_list
from apps.inbox.selectors import inbox_mention_list, inbox_status_counts
from apps.listening.models import Mention

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

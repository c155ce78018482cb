"""Spike detection, run by beat: open an alert the first time an episode is seen (e-mail to the
agency's owners and managers, ``alert.spike`` webhook), extend it while it lasts, close it an
hour after it was last seen. Thresholds per client (``SpikePolicy``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from apps.accounts.selectors import alert_recipients
from apps.clients.models import Client
from apps.webhooks import events as webhook_events

from .detection import Spike, Thresholds, assess
from .models import SpikeAlert, SpikePolicy
from .selectors import HOUR, hour_measures, thresholds_by_client

QUIET_BEFORE_CLOSING = timedelta(hours=1)  # an episode ends after an hour with no spike seen


def spikes_detect(*, now: datetime | None = None, notify: bool = True) -> list[SpikeAlert]:
    """Compare every client's hour before ``now`` with its usual level; open, extend or close
    alerts accordingly and notify about the newly opened ones, which it returns."""
    now = now or timezone.now()
    policies = thresholds_by_client()
    spiking: set[int] = set()
    opened: list[SpikeAlert] = []
    for measure in hour_measures(end=now):
        thresholds = policies.get(measure.client_id, Thresholds())
        spike = assess(measure, thresholds) if thresholds is not None else None
        if spike is None:
            continue
        spiking.add(measure.client_id)
        alert = _open_or_extend(measure.client_id, spike, end=now)
        if alert is not None:
            opened.append(alert)
    SpikeAlert.objects.filter(
        ~Q(client_id__in=spiking), is_open=True, last_seen_at__lt=now - QUIET_BEFORE_CLOSING
    ).update(is_open=False, closed_at=now)
    if opened and notify:
        _notify(opened)
    return opened


def _open_or_extend(client_id: int, spike: Spike, *, end: datetime) -> SpikeAlert | None:
    """Extend the client's open alert, or open one and return it. Two checks at once: the
    partial unique constraint lets one create it; the other extends it."""
    open_alert = SpikeAlert.objects.filter(client_id=client_id, is_open=True)
    extension = {
        "last_seen_at": Greatest(F("last_seen_at"), end),
        "peak_volume": Greatest(F("peak_volume"), spike.mentions),
        **({"is_volume": True} if spike.is_volume else {}),
        **({"is_negative": True} if spike.is_negative else {}),
    }
    if open_alert.update(**extension):
        return None
    try:
        with transaction.atomic():
            return SpikeAlert.objects.create(
                client_id=client_id,
                is_volume=spike.is_volume,
                is_negative=spike.is_negative,
                started_at=end - HOUR,
                last_seen_at=end,
                mentions=spike.mentions,
                negative=spike.negative,
                usual_volume=spike.usual_volume,
                usual_negative_share=spike.usual_negative_share,
                peak_volume=spike.mentions,
            )
    except IntegrityError:  # another check opened it a moment ago
        open_alert.update(**extension)
        return None


def describe(alert: SpikeAlert) -> str:
    """One sentence a person understands: what rose, how far, against what usual level."""
    parts = []
    if alert.is_volume:
        parts.append(
            f"{alert.mentions} mentions in an hour, usually about {alert.usual_volume:.0f} "
            "at this hour of the week"
        )
    if alert.is_negative:
        share = alert.negative / alert.mentions if alert.mentions else 0
        parts.append(
            f"{alert.negative} of {alert.mentions} mentions negative ({share:.0%}), "
            f"usually {alert.usual_negative_share:.0%}"
        )
    return "; ".join(parts)


def alert_representation(alert: SpikeAlert) -> dict:
    """What integrators are told about an alert (the ``alert.spike`` event's data)."""
    return {
        "id": alert.pk,
        "client": alert.client_id,
        "volume": alert.is_volume,
        "negative": alert.is_negative,
        "started_at": alert.started_at,
        "mentions": alert.mentions,
        "negative_mentions": alert.negative,
        "usual_mentions": round(alert.usual_volume, 2),
        "usual_negative_share": round(alert.usual_negative_share, 2),
        "summary": describe(alert),
        "path": f"/alerts/{alert.pk}/",
    }


def _notify(alerts: list[SpikeAlert]) -> None:
    names = dict(
        Client.objects.filter(pk__in=[a.client_id for a in alerts]).values_list("pk", "name")
    )
    webhook_events.spikes_alerted([alert_representation(alert) for alert in alerts])
    recipients = alert_recipients()
    if not recipients:
        return
    lines = [
        f"- {names[a.client_id]}: {describe(a)}, since {a.started_at:%Y-%m-%d %H:%M} UTC. "
        f"The mentions behind it: /alerts/{a.pk}/"
        for a in alerts
    ]
    send_mail(
        subject=f"[Rapport] Spike: {', '.join(sorted(names[a.client_id] for a in alerts))}",
        message="More people than usual are talking, or more of them unhappily:\n\n"
        + "\n".join(lines),
        from_email=None,
        recipient_list=recipients,
    )


def spike_policy_update(*, client: Client, **fields) -> SpikePolicy:
    """Set a client's thresholds (``ValidationError`` with field errors on bad values)."""
    errors = {}
    for name in ("min_volume", "min_negative"):
        if name in fields and (not isinstance(fields[name], int) or fields[name] < 1):
            errors[name] = "Enter a whole number of at least 1."
    if "volume_factor" in fields and not 1.0 < float(fields["volume_factor"]) <= 100:
        errors["volume_factor"] = "Enter a factor above 1 (e.g. 3 for three times the usual)."
    if "negative_share_rise" in fields and not 0 < float(fields["negative_share_rise"]) <= 1:
        errors["negative_share_rise"] = "Enter a rise between 0 and 1 (0.25 = 25 points)."
    if errors:
        raise ValidationError(errors)
    policy, _ = SpikePolicy.objects.update_or_create(client=client, defaults=fields)
    return policy


def spikes_replay(*, since: datetime, until: datetime, step: timedelta) -> list[SpikeAlert]:
    """The alerts beat would have opened checking every ``step`` from ``since`` to ``until`` —
    a dry run over stored history (nothing is kept, nobody is told), to choose thresholds and
    to measure how often they would have alerted."""
    opened: list[SpikeAlert] = []
    with transaction.atomic():
        moment = since
        while moment <= until:
            opened += spikes_detect(now=moment, notify=False)
            moment += step
        transaction.set_rollback(True)
    return opened

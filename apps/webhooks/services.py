"""Outbound webhooks: manage subscriptions, publish events, and send each delivery.

A delivery is POSTed as JSON ``{"id", "event", "created_at", "data"}`` signed like inbound
webhooks (``X-Rapport-Timestamp: <Unix seconds>`` and ``X-Rapport-Signature: sha256=<hex
HMAC-SHA256 of "{timestamp}.{body}">``, so receivers can refuse replays), with the SSRF guard
of the connectors at send time and no redirects followed. Each try is logged as a
``WebhookAttempt``; after ``MAX_ATTEMPTS`` the delivery fails, and after ``DISABLE_AFTER``
failed deliveries in a row the subscription is disabled and the agency's managers are told.
Delivery is at least once: receivers deduplicate on ``X-Rapport-Delivery`` (the event id).
"""

from __future__ import annotations

import json
import logging
import random
import secrets as secrets_module
import time
import uuid
from collections.abc import Iterable

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.selectors import alert_recipients
from apps.channels import ssrf
from apps.channels.connectors import http
from apps.channels.connectors.webhook import signed_headers
from apps.core import crypto, outbox

from .models import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 6  # tries per delivery before it is marked failed
DISABLE_AFTER = 10  # failed deliveries in a row that disable a subscription
# First retry after about this long; the setting RAPPORT_WEBHOOK_RETRY_BASE_SECONDS overrides it.
RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 1800.0  # below the Redis broker's 1 h visibility timeout, or ETAs run twice
TIMEOUT_SECONDS = 10.0
MIN_SECRET_LENGTH = 16
MAX_ERROR_BODY = 300  # characters of an error response kept in the log
EVENT_HEADER = "X-Rapport-Event"
DELIVERY_HEADER = "X-Rapport-Delivery"


# --- subscriptions -------------------------------------------------------------------------------


def _validate_url(url: str) -> str:
    url = (url or "").strip()
    try:
        URLValidator(schemes=list(ssrf.ALLOWED_SCHEMES))(url)
    except ValidationError:
        raise ValidationError({"url": "Enter an http:// or https:// URL."}) from None
    try:
        ssrf.check_url(url)
    except ssrf.UnsafeURL as error:
        raise ValidationError({"url": f"Rapport cannot send to this URL: {error}."}) from None
    return url


def _validate_events(events: Iterable[str]) -> list[str]:
    if isinstance(events, str) or not events:
        raise ValidationError({"events": "Choose at least one event."})
    chosen = list(dict.fromkeys(events))
    unknown = [event for event in chosen if event not in Event.values]
    if unknown:
        raise ValidationError(
            {"events": f"Unknown event(s) {', '.join(map(str, unknown))}; "
                       f"expected {', '.join(Event.values)}."}
        )  # fmt: skip
    return chosen


def _validate_secret(secret: str) -> str:
    secret = secret.strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValidationError(
            {"secret": f"Use at least {MIN_SECRET_LENGTH} characters, or leave it empty."}
        )
    return secret


def _validated(**fields: object) -> dict[str, object]:
    """The cleaned ``url``/``events``/``secret`` given (None means unchanged), or one
    ``ValidationError`` naming every bad field."""
    checks = {"url": _validate_url, "events": _validate_events, "secret": _validate_secret}
    cleaned: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if value is None:
            continue
        try:
            cleaned[name] = checks[name](value)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def subscription_create(
    *,
    url: str,
    events: Iterable[str],
    user: User | None,
    secret: str | None = None,
    is_active: bool = True,
) -> tuple[WebhookSubscription, str]:
    """Validate and create a subscription (switched off if ``is_active`` is false); returns it
    with its signing secret (show it once). A strong secret is generated unless one is given.
    """
    cleaned = _validated(url=url or "", events=events or [], secret=secret)
    secret = cleaned.get("secret") or secrets_module.token_urlsafe(32)
    subscription = WebhookSubscription(
        url=cleaned["url"], events=cleaned["events"], created_by=user, is_active=is_active
    )
    subscription.secret = secret
    subscription.save()
    return subscription, secret


def subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change the URL, the events, or switch it on or off; switching on starts a clean slate."""
    cleaned = _validated(url=url, events=events)
    changed = list(cleaned)
    for name, value in cleaned.items():
        setattr(subscription, name, value)
    if is_active is not None and is_active != subscription.is_active:
        subscription.is_active = is_active
        changed.append("is_active")
        if is_active:
            subscription.consecutive_failures = 0
            subscription.disabled_at, subscription.disabled_reason = None, ""
            changed += ["consecutive_failures", "disabled_at", "disabled_reason"]
    if changed:
        subscription.save(update_fields=changed)
    return subscription


def subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete a subscription with its delivery log; queued deliveries are dropped."""
    subscription.delete()


# --- publishing ----------------------------------------------------------------------------------


def events_publish(*, event: str, payloads: list[dict]) -> int:
    """Queue one delivery per payload for each active subscription of the current agency to
    ``event``; the tasks are sent once the caller's transaction commits. Returns the count."""
    if event not in Event.values:
        raise ValueError(f"unknown webhook event {event!r}")
    if not payloads:
        return 0
    subscriptions = list(
        WebhookSubscription.objects.filter(is_active=True, events__contains=[event]).only("pk")
    )
    if not subscriptions:
        return 0
    now = timezone.now()
    event_ids = [uuid.uuid4() for _ in payloads]  # one id per event, shared by its subscribers
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=subscription, event=event, event_id=event_id, payload=payload,
            created_at=now,
        )
        for subscription in subscriptions
        for event_id, payload in zip(event_ids, payloads, strict=True)
    )  # fmt: skip
    ids = [delivery.pk for delivery in deliveries]
    _queue(ids)
    return len(ids)


DELIVER_TASK = "apps.webhooks.tasks.deliver_webhook"


def _queue(delivery_ids: list[int]) -> None:
    """Queue the deliveries through the outbox, in the caller's transaction: sent after the
    commit, or by the outbox sweep once the broker is back (apps.core.outbox)."""
    outbox.enqueue_many(DELIVER_TASK, [(pk,) for pk in delivery_ids])


# --- delivering ----------------------------------------------------------------------------------


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes POSTed (and signed) for a delivery; the same on every attempt."""
    return json.dumps(delivery.body(), cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def retry_delay(attempts: int, *, base: float | None = None) -> float:
    """Seconds to wait after ``attempts`` failed tries: exponential, capped, half of it jitter."""
    if base is None:
        base = float(getattr(settings, "RAPPORT_WEBHOOK_RETRY_BASE_SECONDS", RETRY_BASE_SECONDS))
    delay = min(RETRY_MAX_SECONDS, base * 2 ** min(max(attempts - 1, 0), 32))
    return delay / 2 + random.uniform(0, delay / 2)


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Send a pending delivery once and log the attempt.

    Returns the delivery: ``delivered``; ``pending`` when it should be retried (see
    ``retry_delay``); ``failed`` after ``MAX_ATTEMPTS`` tries, an unsafe URL, or an inactive
    subscription. A delivered or failed delivery is never sent again. None if it was deleted.
    """
    disabled = None
    with transaction.atomic():
        # Locked while it is sent: a duplicate task skips it (and retries later), never sends too.
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:  # deleted, or another worker is sending it right now
            return WebhookDelivery.objects.filter(pk=delivery_id).first()
        if delivery.status != WebhookDelivery.Status.PENDING:
            return delivery
        subscription = delivery.subscription
        if not subscription.is_active:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.last_error = "Not sent: the subscription is switched off."
            delivery.save(update_fields=["status", "last_error"])
            return delivery

        attempt, permanent = _send(delivery, subscription)
        delivery.attempts = attempt.number
        delivery.last_status_code, delivery.last_error = attempt.status_code, attempt.error
        if attempt.succeeded:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
        elif permanent or attempt.number >= MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
        delivery.save(
            update_fields=["attempts", "status", "delivered_at", "last_status_code", "last_error"]
        )
        if delivery.status != WebhookDelivery.Status.PENDING:
            disabled = _count_outcome(subscription.pk, delivery)
    if disabled is not None:
        _notify_disabled(disabled)
    return delivery


def _send(
    delivery: WebhookDelivery, subscription: WebhookSubscription
) -> tuple[WebhookAttempt, bool]:
    """POST the delivery once (SSRF-checked, no redirects) and store the attempt; also says
    whether the failure is permanent (a URL Rapport refuses to send to)."""
    body = delivery_body(delivery)
    status_code, error, permanent = None, "", False
    started = time.monotonic()
    try:
        headers = {
            "User-Agent": http.USER_AGENT,
            "Content-Type": "application/json",
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.event_id),
            **signed_headers(subscription.secret, body),  # signed afresh on every attempt
        }
        ssrf.check_url(subscription.url)  # again: DNS may have changed since it was saved
        # The connectors' transport re-checks every address it connects to (DNS rebinding).
        with (
            httpx.Client(
                transport=http.guarded_transport(), timeout=TIMEOUT_SECONDS, trust_env=False,
                follow_redirects=False,
            ) as client,
            client.stream("POST", subscription.url, content=body, headers=headers) as response,
        ):  # fmt: skip
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = _describe_status(response)
    except crypto.SecretUnreadable as exc:
        error, permanent = f"Cannot sign the delivery: {exc}.", True
    except ssrf.UnresolvableHost as exc:
        error = str(exc)
    except ssrf.UnsafeURL as exc:
        error, permanent = f"Refused to send: {exc}", True
    except httpx.TimeoutException:
        error = f"No answer within {TIMEOUT_SECONDS:g} s."
    except httpx.HTTPError as exc:
        error = f"Connection failed: {exc or type(exc).__name__}"
    attempt = WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts + 1,
        status_code=status_code,
        error=error,
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    return attempt, permanent


def _describe_status(response: httpx.Response) -> str:
    if 300 <= response.status_code < 400:
        where = response.headers.get("location", "")
        shown = f": {where}" if where else ""
        return f"Answered {response.status_code} (redirects are not followed){shown}"
    text = b""
    for chunk in response.iter_bytes():
        text += chunk
        if len(text) >= MAX_ERROR_BODY:
            break
    shown = " ".join(text[:MAX_ERROR_BODY].decode("utf-8", "replace").split())
    return f"Answered {response.status_code}{f': {shown}' if shown else ''}"


def _count_outcome(subscription_id: int, delivery: WebhookDelivery) -> WebhookSubscription | None:
    """A finished delivery resets or extends the subscription's run of failures; returns the
    subscription if this failure disabled it."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        if subscription.consecutive_failures:
            subscription.consecutive_failures = 0
            subscription.save(update_fields=["consecutive_failures"])
        return None
    subscription.consecutive_failures += 1
    fields = ["consecutive_failures"]
    disabled = subscription.is_active and subscription.consecutive_failures >= DISABLE_AFTER
    if disabled:
        subscription.is_active = False
        subscription.disabled_at = timezone.now()
        subscription.disabled_reason = (
            f"Disabled automatically after {subscription.consecutive_failures} failed deliveries "
            f"in a row. Last error: {delivery.last_error or delivery.last_status_code}"
        )
        fields += ["is_active", "disabled_at", "disabled_reason"]
    subscription.save(update_fields=fields)
    return subscription if disabled else None


def _notify_disabled(subscription: WebhookSubscription) -> None:
    recipients = alert_recipients()
    if not recipients:
        return
    send_mail(
        subject=f"[Rapport] Webhook to {subscription.url} was disabled",
        message=(
            f"Rapport stopped sending events to {subscription.url}.\n\n"
            f"{subscription.disabled_reason}\n\n"
            "Fix the receiving endpoint, then switch the webhook back on; events from while it "
            "was off are not sent."
        ),
        from_email=None,
        recipient_list=recipients,
    )

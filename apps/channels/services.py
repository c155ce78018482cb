"""Channels: create, edit, pause and remove them, test a connection, sign in to Mastodon, accept
pushes and imports. The fetch pipeline (scheduling, fetching, health) is in ``fetching``; its
names stay importable from here."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.clients.models import Client
from apps.clients.services import client_accounts_add_from_channel
from apps.core import crypto, events
from apps.core.validation import json_loads

from . import ssrf
from .connectors import PLATFORMS, describe, get_connector
from .connectors.base import (
    ConnectorError,
    MentionData,
)
from .connectors.csv import parse_csv
from .connectors.webhook import PayloadError, parse_payload, signature_problem
from .fetching import BACKOFF_BASE_SECONDS as BACKOFF_BASE_SECONDS
from .fetching import BACKOFF_MAX_SECONDS as BACKOFF_MAX_SECONDS
from .fetching import FAILING_AFTER as FAILING_AFTER
from .fetching import FETCH_TASK as FETCH_TASK
from .fetching import FETCH_TIME_BUDGET as FETCH_TIME_BUDGET
from .fetching import MAX_PAGES_PER_RUN as MAX_PAGES_PER_RUN
from .fetching import RECORD_ATTEMPTS as RECORD_ATTEMPTS
from .fetching import _describe, _finish, _healthy
from .fetching import backoff_seconds as backoff_seconds
from .fetching import channel_alert_failing as channel_alert_failing
from .fetching import channel_fetch as channel_fetch
from .fetching import channel_fetch_now as channel_fetch_now
from .fetching import channels_claim_due as channels_claim_due
from .fetching import channels_dispatch_due as channels_dispatch_due
from .fetching import fetch_run_enqueue as fetch_run_enqueue
from .fetching import fetch_run_queue as fetch_run_queue
from .fetching import fetch_runs_recover_dead as fetch_runs_recover_dead
from .models import Channel, FetchRun
from .storing import IngestResult, store_items

# --- creating channels -------------------------------------------------------------------------


def _validate(platform: str, config: dict[str, Any], credentials: dict[str, Any]) -> None:
    if platform not in PLATFORMS:
        raise ValidationError({"platform": f"Unknown platform; expected one of {PLATFORMS}."})
    description = describe(platform)
    errors = description.problems(config, credentials)
    for key in description.url_keys:
        if config.get(key) and f"config.{key}" not in errors:
            try:
                ssrf.check_url(str(config[key]))
            except ssrf.UnsafeURL as error:
                errors[f"config.{key}"] = str(error)
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class CreatedChannel:
    channel: Channel
    webhook_secret: str = ""  # shown once, for webhook channels


def channel_create(
    *,
    client: Client,
    platform: str,
    name: str,
    config: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    fetch_interval_minutes: int = 15,
    listen_only: bool = False,
    purpose: str = "",
) -> CreatedChannel:
    """Validate and create a channel; webhook channels get a signing secret, returned once.
    The accounts its config or credentials name become the client's own (``brand_accounts``)."""
    config, credentials = dict(config or {}), dict(credentials or {})
    _validate(platform, config, credentials)
    if fetch_interval_minutes < 1:
        raise ValidationError({"fetch_interval_minutes": "Must be at least 1 minute."})
    channel = Channel(
        client=client,
        platform=platform,
        name=name,
        config=config,
        fetch_interval_minutes=fetch_interval_minutes,
        listen_only=listen_only,
        purpose=purpose,
    )
    channel.credentials = credentials
    secret = ""
    if platform == Channel.Platform.WEBHOOK:
        secret = secrets.token_urlsafe(32)
        channel.webhook_secret_encrypted = crypto.encrypt(secret)
    with transaction.atomic():
        channel.save()
        client_accounts_add_from_channel(
            client=client, platform=platform, config=config, credentials=credentials
        )
    return CreatedChannel(channel=channel, webhook_secret=secret)


def channel_update(
    *,
    channel: Channel,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    fetch_interval_minutes: int | None = None,
    listen_only: bool | None = None,
    purpose: str | None = None,
) -> Channel:
    """Change the given settings; new credentials replace the old ones (they are never shown)."""
    config = channel.config if config is None else dict(config)
    new_credentials = channel.credentials if credentials is None else dict(credentials)
    _validate(channel.platform, config, new_credentials)
    if fetch_interval_minutes is not None and fetch_interval_minutes < 1:
        raise ValidationError({"fetch_interval_minutes": "Must be at least 1 minute."})
    if name is not None and not name.strip():
        raise ValidationError({"name": "A channel needs a name."})
    for field, value in (
        ("name", name),
        ("fetch_interval_minutes", fetch_interval_minutes),
        ("listen_only", listen_only),
        ("purpose", purpose),
    ):
        if value is not None:
            setattr(channel, field, value)
    channel.config = config
    if credentials is not None:
        channel.credentials = new_credentials
    with transaction.atomic():
        channel.save()
        client_accounts_add_from_channel(
            client=channel.client, platform=channel.platform, config=config,
            credentials=new_credentials,
        )  # fmt: skip
    return channel


@transaction.atomic
def channel_delete(*, channel: Channel) -> None:
    """Delete a channel and the mentions fetched through it (``channel_deleted``: reporting drops
    the client's term roll-ups, which counted them)."""
    channel.delete()
    events.channel_deleted.publish(client_id=channel.client_id)


def channel_test_connection(
    *, platform: str, config: dict[str, Any], credentials: dict[str, Any], limit: int = 5
) -> list[MentionData]:
    """A dry fetch with these settings ("Test connection"): the first items, nothing stored.

    ``ValidationError`` says in plain words what is wrong: a missing or unsafe setting, or what
    the platform answered (a wrong token, an unknown feed, a server that cannot be reached).
    """
    _validate(platform, dict(config), dict(credentials))
    if not describe(platform).fetches:
        raise ValidationError(
            f"{describe(platform).label} channels are not fetched: nothing to test."
        )
    draft = SimpleNamespace(platform=platform, config=dict(config), credentials=dict(credentials))
    try:
        page = get_connector(platform).fetch(draft, None)
    except (ConnectorError, ssrf.UnsafeURL) as error:
        raise ValidationError(f"{describe(platform).label} answered: {_describe(error)}") from error
    except Exception as error:
        raise ValidationError(f"The test failed: {error}") from error
    return list(page.items[:limit])


@dataclass(frozen=True)
class MastodonSignIn:
    """A Mastodon sign-in under way: where to send the person, and what to check on return."""

    authorize_url: str
    pending: dict[str, str]  # state, server, client_id, client_secret, redirect_uri


def mastodon_sign_in_start(*, server: str, redirect_uri: str) -> MastodonSignIn:
    """Register Rapport as an app on the instance at ``server`` (SSRF-checked) and return the
    page where the person allows it. ``ValidationError`` on ``config.base_url`` otherwise."""
    from .connectors import mastodon

    server = (server or mastodon.DEFAULT_BASE_URL).rstrip("/")
    try:
        ssrf.check_url(server)
        app = mastodon.oauth_register_app(server, redirect_uri=redirect_uri, client_name="Rapport")
    except (ssrf.UnsafeURL, ConnectorError) as error:
        raise ValidationError({"config.base_url": _describe(error)}) from error
    state = secrets.token_urlsafe(24)
    url = mastodon.oauth_authorize_url(
        server, client_id=app["client_id"], redirect_uri=redirect_uri, state=state
    )
    pending = {"state": state, "server": server, "redirect_uri": redirect_uri, **app}
    return MastodonSignIn(authorize_url=url, pending=pending)


def mastodon_sign_in_finish(*, pending: dict[str, str], code: str, state: str) -> str:
    """The access token for the code the instance sent back, if ``state`` is the one sent."""
    from .connectors import mastodon

    if not code or not secrets.compare_digest(state or "", pending.get("state", "")):
        raise ValidationError("The sign-in did not come back from the page Rapport opened.")
    try:
        return mastodon.oauth_exchange_code(
            pending["server"], client_id=pending["client_id"],
            client_secret=pending["client_secret"], redirect_uri=pending["redirect_uri"],
            code=code,
        )  # fmt: skip
    except ConnectorError as error:
        raise ValidationError(f"Mastodon answered: {_describe(error)}") from error


def channel_pause(*, channel: Channel) -> Channel:
    """Stop fetching the channel until it is resumed."""
    channel.health = Channel.Health.PAUSED
    channel.save(update_fields=["health"])
    return channel


def channel_resume(*, channel: Channel) -> Channel:
    """Fetch the channel again, starting now."""
    if channel.disconnected_at:
        raise ValidationError("This channel was removed; connect it again as a new channel.")
    channel.health, channel.consecutive_failures = Channel.Health.OK, 0
    channel.next_fetch_at = timezone.now()
    channel.save(update_fields=["health", "consecutive_failures", "next_fetch_at"])
    return channel


def channel_remove(*, channel: Channel, keep_mentions: bool) -> None:
    """Remove a channel. With ``keep_mentions`` it is disconnected instead — never fetched
    again, its credentials and webhook secret erased — and its mentions stay in the inbox and
    reports; otherwise it is deleted with them (``channel_delete``)."""
    if not keep_mentions:
        channel_delete(channel=channel)
        return
    channel.health, channel.disconnected_at = Channel.Health.PAUSED, timezone.now()
    channel.credentials_encrypted = channel.webhook_secret_encrypted = ""
    channel.save(
        update_fields=[
            "health",
            "disconnected_at",
            "credentials_encrypted",
            "webhook_secret_encrypted",
        ]
    )


def channel_rotate_webhook_secret(*, channel: Channel) -> str:
    """A new signing secret for a webhook channel, returned once; the old one stops working."""
    if channel.platform != Channel.Platform.WEBHOOK or channel.disconnected_at:
        raise ValidationError("Only a connected webhook channel has a signing secret.")
    secret = secrets.token_urlsafe(32)
    channel.webhook_secret_encrypted = crypto.encrypt(secret)
    channel.save(update_fields=["webhook_secret_encrypted"])
    return secret


@transaction.atomic
def channel_rotate_secrets() -> int:
    """Re-encrypt every channel secret of the current agency with the newest key (all or none)."""
    count = 0
    for channel in Channel.objects.only("pk", "credentials_encrypted", "webhook_secret_encrypted"):
        Channel.objects.filter(pk=channel.pk).update(
            credentials_encrypted=crypto.rotate(channel.credentials_encrypted)
            if channel.credentials_encrypted
            else "",
            webhook_secret_encrypted=crypto.rotate(channel.webhook_secret_encrypted)
            if channel.webhook_secret_encrypted
            else "",
        )
        count += 1
    return count


# --- pushes and imports ------------------------------------------------------------------------


class WebhookRejected(Exception):
    def __init__(self, status: int, errors: dict[str, str]):
        super().__init__(errors)
        self.status = status
        self.errors = errors


def _store_external(channel: Channel, trigger: str, items) -> IngestResult:
    """Store pushed or imported items, durably: nobody will send them again."""
    started = time.monotonic()
    with transaction.atomic():
        result = store_items(channel=channel, items=items)
        run = FetchRun.objects.create(
            channel=channel, trigger=trigger, started_at=timezone.now(), pages=1,
            fetched=result.received, new=result.created, duplicates=result.duplicates,
            errors=len(result.rejected),
        )  # fmt: skip
        refused = result.describe_rejected() if result.rejected else ""
        status = FetchRun.Status.PARTIAL if refused else FetchRun.Status.SUCCEEDED
        _finish(run, status, refused, started)
        Channel.objects.filter(pk=channel.pk).update(
            last_success_at=timezone.now(), health=_healthy(channel), last_error="",
            consecutive_failures=0,
        )  # fmt: skip
    return result


def webhook_receive(
    *, token: str, body: bytes, signature: str | None, timestamp: str | None
) -> IngestResult:
    """Verify (signature and timestamp) and store an inbound webhook push; nothing is stored
    unless all of it is valid."""
    channel = (
        Channel.objects.select_related("client")
        .filter(webhook_token=token, platform=Channel.Platform.WEBHOOK)
        .first()
    )
    if channel is None or channel.health == Channel.Health.PAUSED:
        raise WebhookRejected(404, {"detail": "Unknown webhook."})
    problem = signature_problem(channel.webhook_secret, body, signature, timestamp)
    if problem:
        raise WebhookRejected(401, {"signature": problem})
    try:
        data = json_loads(body)  # deep nesting is a ValueError too
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected(400, {"body": "Body is not valid JSON."}) from None
    try:
        items = parse_payload(data)
    except PayloadError as error:
        raise WebhookRejected(400, error.errors) from None
    return _store_external(channel, FetchRun.Trigger.PUSH, items)


def channel_import_csv(*, channel: Channel, file_bytes: bytes) -> IngestResult:
    """Import a CSV of mentions into a channel: all rows or, if any row is bad, none."""
    items = parse_csv(file_bytes)  # raises CsvImportError listing every bad row
    return _store_external(channel, FetchRun.Trigger.IMPORT, items)

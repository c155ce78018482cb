"""The broker's visibility timeout is set on purpose: longer than any task may run and than any
retry waits, so Redis never hands a live task to a second worker."""

from __future__ import annotations

from django.conf import settings

from agency.celery import app
from apps.webhooks.services import RETRY_MAX_SECONDS


def test_the_visibility_timeout_outlasts_every_task_and_every_retry_countdown():
    assert settings.CELERY_BROKER_URL.startswith("redis://")  # as in CI and production
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    app.loader.import_default_modules()
    limits = {
        name: task.time_limit or app.conf.task_time_limit
        for name, task in app.tasks.items()
        if name.startswith("apps.")
    }
    assert [name for name, limit in limits.items() if not limit] == []  # every task is bounded
    assert timeout > max(limits.values())
    assert timeout > RETRY_MAX_SECONDS
    assert timeout <= 2 * 3600  # and not so long that a lost task waits for half a day


def test_a_dead_fetch_is_noticed_within_minutes_not_after_the_visibility_timeout():
    beats = settings.CELERY_BEAT_SCHEDULE
    assert (
        beats["recover-dead-fetches"]["schedule"] + settings.RAPPORT_HEARTBEAT_STALE_SECONDS < 300
    )
    assert beats["recover-dead-rematches"]["schedule"] <= 60
    assert beats["publish-outbox"]["schedule"] <= 60

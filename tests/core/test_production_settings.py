"""Production settings: separate worker queues, JSON logs, and a clean deployment check."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

from django.conf import settings

from apps.core.logs import JsonFormatter
from tests.support import subprocess_env

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "agency.settings.production",
    "SECRET_KEY": "a-long-production-secret-key-for-this-test-only-0123456789abcdef",
    "RAPPORT_ENCRYPTION_KEYS": "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=",
}
ROUTES = """
from agency.celery import app
for task in ("apps.channels.tasks.fetch_channel", "apps.webhooks.tasks.deliver_webhook",
             "apps.acknowledgements.tasks.check_slas"):
    print(task, app.amqp.router.route({}, task)["queue"].name)
"""


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=settings.BASE_DIR, env=subprocess_env(**env), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def test_production_sends_fetches_and_deliveries_to_their_own_queues():
    result = python(ROUTES, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "apps.channels.tasks.fetch_channel fetch",
        "apps.webhooks.tasks.deliver_webhook outbound",
        "apps.acknowledgements.tasks.check_slas celery",
    ]
    # Without the switch (development, tests) one worker takes everything from one queue.
    default = python(ROUTES, CELERY_DEFAULT_QUEUE="only-one")
    assert {line.split()[-1] for line in default.stdout.split()[1::2]} == {"only-one"}


def test_production_passes_the_deployment_check():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=subprocess_env(**PRODUCTION), capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_json_logs_carry_the_agency_and_extra_fields(in_agency_a):
    record = logging.makeLogRecord(
        {"name": "rapport", "levelname": "WARNING", "msg": "erased %s", "args": ("x",),
         "client": 7}
    )  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert (line["message"], line["level"], line["agency"], line["client"]) == (
        "erased x", "WARNING", "alpha", 7,
    )  # fmt: skip


def test_production_refuses_to_start_without_encryption_keys():
    result = python("print('started')", **{**PRODUCTION, "RAPPORT_ENCRYPTION_KEYS": ""})
    assert result.returncode != 0 and "started" not in result.stdout
    assert "RAPPORT_ENCRYPTION_KEYS" in result.stderr


def test_any_settings_with_debug_off_fail_the_system_check_without_encryption_keys():
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="agency.settings.dev", DEBUG="0", RAPPORT_ENCRYPTION_KEYS="",
        SECRET_KEY="a-real-secret-key-that-is-not-for-development-0123456789abcdef",
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "rapport.E001" in result.stdout + result.stderr

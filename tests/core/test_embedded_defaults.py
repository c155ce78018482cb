"""With DATABASE_URL and CELERY_BROKER_URL unset, Rapport brings its own PostgreSQL and broker."""

import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.e2e

PROBE = (
    "from django.conf import settings; from django.db import connection;"
    "print(connection.cursor().execute('select version()').fetchone()[0]);"
    "print(settings.CELERY_BROKER_URL)"
)


def test_unset_urls_start_embedded_postgres_and_serverless_broker(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(RAPPORT_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="agency.settings.dev")
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", PROBE],
            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        version, broker = result.stdout.strip().splitlines()[-2:]
        assert version.startswith("PostgreSQL")
        assert broker == "filesystem://"
        assert (tmp_path / "pgdata" / "PG_VERSION").exists()
        assert (tmp_path / "broker" / "queue").is_dir()
    finally:
        pid_file = tmp_path / "pgdata" / "postmaster.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)

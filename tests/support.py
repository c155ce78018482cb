"""Helpers for tests that start real processes (manage.py, Celery workers) on the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from urllib.parse import quote

from django.conf import settings
from django.db import connection


def test_database_url() -> str:
    """A DATABASE_URL pointing child processes at the test database of this session."""
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="") if (db["HOST"] or "").startswith("/") else db["HOST"]
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings.test"}
    env["DATABASE_URL"] = test_database_url()
    env.update(extra)
    return env


class CeleryWorker:
    """A real ``celery -A agency worker`` process consuming one private queue."""

    def __init__(self, queue: str, env: dict[str, str]):
        self.queue = queue
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> CeleryWorker:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "agency",
                "worker",
                "--pool=solo",
                "-Q",
                self.queue,
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._lines: list[str] = []
        ready = threading.Event()

        def collect() -> None:
            for line in self.process.stdout:
                self._lines.append(line)
                if " ready." in line:
                    ready.set()

        threading.Thread(target=collect, daemon=True).start()
        if not ready.wait(timeout=60):
            self.__exit__()
            raise RuntimeError("Celery worker did not start:\n" + self.output())
        return self

    def __exit__(self, *exc) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        return "".join(self._lines)

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


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``python manage.py <args>`` in a child process on the test database."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings.test"}
    env["DATABASE_URL"] = test_database_url()
    env.update(extra)
    return env


class CeleryProcess:
    """A real ``celery -A agency <command>`` process, started and stopped around a block."""

    ready_marker = " ready."

    def __init__(self, arguments: list[str], env: dict[str, str]):
        self.arguments = arguments
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> CeleryProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "agency", *self.arguments],
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
                if self.ready_marker in line:
                    ready.set()

        threading.Thread(target=collect, daemon=True).start()
        if not ready.wait(timeout=60):
            self.__exit__()
            raise RuntimeError(f"celery {self.arguments[0]} did not start:\n{self.output()}")
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


class CeleryWorker(CeleryProcess):
    """A worker consuming one private queue, so parallel runs never steal each other's tasks."""

    def __init__(self, queue: str, env: dict[str, str]):
        self.queue = queue
        super().__init__(
            ["worker", "--pool=solo", "-Q", queue, "--loglevel=INFO", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            env,
        )  # fmt: skip


class CeleryBeat(CeleryProcess):
    ready_marker = "beat: Starting"

    def __init__(self, schedule_file: str, env: dict[str, str]):
        super().__init__(["beat", "--loglevel=INFO", f"--schedule={schedule_file}"], env)


def closed_port() -> int:
    """A local TCP port nobody listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BrokerDown:
    """While active, this process publishes tasks to a Redis URL on a closed port: the broker is
    unreachable, exactly as when it is stopped (connection refused)."""

    def __enter__(self) -> BrokerDown:
        from agency.celery import app

        self._app, self._previous = app, app.conf.get("broker_write_url")
        app.conf.broker_write_url = f"redis://127.0.0.1:{closed_port()}/0"
        return self

    def __exit__(self, *exc) -> None:
        self._app.conf.broker_write_url = self._previous

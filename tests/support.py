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


test_database_url.__test__ = False  # a helper: not collected where test modules import it


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


class ScratchPostgres:
    """A PostgreSQL server of its own (Debian's binaries, a temporary data directory, a free
    port) that a test may stop and restart; as root, it runs as the ``postgres`` user."""

    def __init__(self) -> None:
        import glob
        import shutil
        import tempfile

        (self.bin,) = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:]
        self.directory = tempfile.mkdtemp(prefix="rapport-pg-")
        self.data = os.path.join(self.directory, "data")
        self.port = closed_port()
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.directory, "postgres")

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> ScratchPostgres:
        self._run(f"{self.bin}/initdb", "-D", self.data, "-U", "postgres", "-A", "trust")
        self._pg_ctl("start")
        return self

    def _pg_ctl(self, action: str) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1"
        log = os.path.join(self.directory, "server.log")  # the server's output, not our pipe
        self._run(
            f"{self.bin}/pg_ctl", action, "-D", self.data, "-w", "-m", "fast", "-o", options,
            "-l", log,
        )  # fmt: skip

    def restart(self) -> None:
        """What a database restart does: every session is cut off, the server comes back."""
        self._pg_ctl("restart")

    def stop(self) -> None:
        """Stop the server and remove its data."""
        import shutil

        try:
            self._pg_ctl("stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def copy_database(self, source_url: str, database: str) -> str:
        """A copy of the database at ``source_url`` (schema and rows) as ``database`` here."""
        subprocess.run(
            [f"{self.bin}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             database], check=True, timeout=60,
        )  # fmt: skip
        dump = subprocess.run(
            [f"{self.bin}/pg_dump", "--no-owner", "--no-privileges", "-d", source_url],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        subprocess.run(
            [f"{self.bin}/psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url(database)],
            input=dump.stdout, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        return self.url(database)


def run_queued(task: str) -> int:
    """Run the outbox messages of ``task`` (a dotted name) queued in the current agency, inline
    and in order, as a worker would once they are published; returns how many ran."""
    from importlib import import_module

    from apps.core.models import OutboxMessage

    messages = list(
        OutboxMessage.objects.filter(schema_name=connection.schema_name, task=task).order_by("pk")
    )
    module, name = task.rsplit(".", 1)
    run = getattr(import_module(module), name)
    for message in messages:
        run(*message.args)
        message.delete()
    return len(messages)

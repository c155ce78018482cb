"""The parts a second machine would hold, started on this one from Debian's packages: a primary
PostgreSQL reachable only through its Unix socket, a streaming replica made by ``pg_basebackup``
(TCP), PgBouncer in front of the primary (transaction pooling for the web, session pooling for
the workers), and the processes the tests start
with ``DATABASE_URL`` pointing at PgBouncer."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from tests.support import closed_port

AS_POSTGRES = {"user": "postgres"} if os.geteuid() == 0 else {}
WORKER_SERVERS = 4  # server connections of the workers' session pool
# pg_stat_statements on both; statements logged with their application_name on the primary; no
# fsync (a throwaway cluster).
COMMON = "-c shared_preload_libraries=pg_stat_statements -c fsync=off -c full_page_writes=off"


def _bin(name: str) -> str:
    (directory,) = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:]
    return f"{directory}/{name}"


def _run(*command: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, capture_output=True, timeout=120, **AS_POSTGRES,
                          **kwargs)  # fmt: skip


class Cluster:
    """One PostgreSQL server in ``directory/name`` (``options``: its ``-c`` settings)."""

    def __init__(self, directory: Path, name: str, options: str):
        self.data, self.log = directory / name, directory / f"{name}.log"
        self.options, self.running = options, False

    def start(self) -> Cluster:
        _run(_bin("pg_ctl"), "start", "-D", str(self.data), "-w", "-o", self.options,
             "-l", str(self.log))  # fmt: skip
        self.running = True
        return self

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            self.running = False
            _run(_bin("pg_ctl"), "stop", "-D", str(self.data), "-w", "-m", mode)


class Topology:
    """Primary (socket only), replica (TCP), PgBouncer (TCP)."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="rapport-topo-"))
        if AS_POSTGRES:
            shutil.chown(self.directory, "postgres")
        self.socket = str(self.directory)
        self.primary_port, self.replica_port, self.pooler_port = (closed_port() for _ in "abc")
        self.primary = Cluster(
            self.directory, "primary",
            f"-c port={self.primary_port} -c listen_addresses='' "
            f"-c unix_socket_directories={self.socket} {COMMON} -c log_statement=all "
            "-c log_line_prefix='%a|%r|'",
        )  # fmt: skip
        self.replica = Cluster(
            self.directory, "replica",
            f"-c port={self.replica_port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.socket} {COMMON} -c hot_standby=on",
        )  # fmt: skip
        self.pooler: subprocess.Popen | None = None

    # --- the servers ---------------------------------------------------------------------------
    def start_primary(self, source_url: str) -> None:
        """A primary holding a copy of the database at ``source_url`` as ``rapport``."""
        _run(_bin("initdb"), "-N", "-D", str(self.primary.data), "-U", "postgres", "-A", "trust")
        self.primary.start()
        where = ["-h", self.socket, "-p", str(self.primary_port), "-U", "postgres"]
        _run(_bin("createdb"), *where, "rapport")
        dump = subprocess.run(
            [_bin("pg_dump"), "--no-owner", "--no-privileges", "-d", source_url],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        _run(_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", *where, "-d", "rapport",
             input=dump.stdout)  # fmt: skip
        with self.connect_primary() as db:
            db.execute("CREATE EXTENSION pg_stat_statements")

    def start_replica(self) -> None:
        """A streaming replica of the primary, made by ``pg_basebackup -R``."""
        _run(_bin("pg_basebackup"), "-h", self.socket, "-p", str(self.primary_port),
             "-U", "postgres", "-D", str(self.replica.data), "-R", "-X", "stream",
             "-c", "fast", "--no-sync")  # fmt: skip
        self.replica.start()

    def start_pooler(self) -> None:
        """PgBouncer: ``rapport`` for the web (transaction pooling, pools of 10),
        ``rapport_workers`` for the Celery workers (session pooling, ``WORKER_SERVERS`` server
        connections: a fetch holds session advisory locks, and background work never takes the
        web's connections) and ``rapport_one`` (transaction pooling, one server connection for
        every client)."""
        conf, users = self.directory / "pgbouncer.ini", self.directory / "users.txt"
        users.write_text('"postgres" ""\n')
        server = f"host={self.socket} port={self.primary_port} dbname=rapport"
        conf.write_text(
            f"[databases]\nrapport = {server} pool_size=10\nrapport_one = {server} pool_size=1\n"
            f"rapport_workers = {server} pool_mode=session pool_size={WORKER_SERVERS}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {self.pooler_port}\n"
            "unix_socket_dir =\nauth_type = trust\n"
            f"auth_file = {users}\nadmin_users = postgres\npool_mode = transaction\n"
            "max_client_conn = 200\nignore_startup_parameters = extra_float_digits\n"
            f"logfile = {self.directory / 'pgbouncer.log'}\n"
        )
        if AS_POSTGRES:
            for path in (conf, users):
                shutil.chown(path, "postgres")
        executable = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        self.pooler = subprocess.Popen(
            [executable, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            **AS_POSTGRES,
        )  # fmt: skip
        for _ in range(100):
            try:
                self.admin().close()
                return
            except psycopg.OperationalError:
                time.sleep(0.05)
        raise RuntimeError((self.directory / "pgbouncer.log").read_text())

    def stop(self) -> None:
        """Everything down and removed, whatever state the test left it in."""
        try:
            if self.pooler is not None and self.pooler.poll() is None:
                self.pooler.terminate()
                self.pooler.wait(timeout=10)
        finally:
            for cluster in (self.replica, self.primary):
                with contextlib.suppress(subprocess.SubprocessError):
                    cluster.stop("immediate")
            shutil.rmtree(self.directory, ignore_errors=True)

    # --- addresses -------------------------------------------------------------------------------
    def pooled_url(self, database: str = "rapport", name: str = "") -> str:
        application = f"?application_name={name}" if name else ""
        return f"postgres://postgres@127.0.0.1:{self.pooler_port}/{database}{application}"

    def statements_of(self, application: str) -> list[str]:
        """The statements the primary ran for clients named ``application`` and where they came
        from (``[local]``: its Unix socket, the only way in)."""
        lines = self.primary.log.read_text(errors="replace").splitlines()
        return [
            line for line in lines if line.startswith(f"{application}|") and "statement:" in line
        ]

    def replica_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.replica_port}/rapport"

    def connect_primary(self) -> psycopg.Connection:
        return psycopg.connect(host=self.socket, port=self.primary_port, user="postgres",
                               dbname="rapport", autocommit=True)  # fmt: skip

    def connect_replica(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.replica_port, user="postgres",
                               dbname="rapport", autocommit=True)  # fmt: skip

    def admin(self) -> psycopg.Connection:
        """PgBouncer's admin console (simple protocol only)."""
        return psycopg.connect(host="127.0.0.1", port=self.pooler_port, user="postgres",
                               dbname="pgbouncer", autocommit=True,
                               cursor_factory=psycopg.ClientCursor)  # fmt: skip

    def show(self, what: str) -> list[dict]:
        with self.admin() as admin, admin.cursor() as cursor:
            cursor.execute(f"SHOW {what}")
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def replicated(self) -> bool:
        """The replica has replayed everything the primary has written so far."""
        with self.connect_primary() as primary:
            (lsn,) = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        with self.connect_replica() as replica:
            (behind,) = replica.execute(
                "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()) > 0", [lsn]
            ).fetchone()
        return not behind


def manage(env: dict[str, str], *args: str) -> subprocess.Popen:
    from django.conf import settings

    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip

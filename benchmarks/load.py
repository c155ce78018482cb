"""Locust against the production topology: 50 agency users on the inbox and the reports while
500 channels are fetched at once.

    python benchmarks/load.py [--mentions 100000] [--users 50] [--seconds 180] [--channels 500]

Set-up, in a scratch database: ``generate_load``'s agency (``--mentions`` over 90 days, three
clients, the inbox states of ``benchmarks/pages.py``) and ``--channels`` RSS channels pointing at
a local feed server answering in ``--latency`` seconds. Then the topology of
``tests/deploy/test_topology.py`` (PgBouncer in front of a primary holding a copy of it —
transaction pooling for the web, a session pool of four server connections for the workers —, a
streaming replica for the reports), gunicorn (2 processes x 4 threads), a fetch worker (20
threads), a worker for the other queues and beat (all three ``nice``: on one machine the web goes
first, as on a machine of its own), all with the production settings (the web with
``DATABASE_POOLER=1``). Locust runs headless on loopback for ``--seconds``: ``--users`` staff
(``--think`` seconds between pages, default 5-15: inbox, a client's inbox, conversations, a
client's report, the overview) and one user pressing "Fetch now" on every channel at once,
through the API. Users sign in two a second; the figures count from when all
have (``--reset-stats``). Printed: requests, failures, median and p95 per page, and when the
last fetch finished.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _scratch import ROOT, serve_feeds, use_scratch_database
from fetch_many import FEED

KEY = "bG9hZC10ZXN0LWtleS1sb2FkLXRlc3Qta2V5LWxvYWQ="  # a Fernet key for this benchmark only


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--think", default="5-15", help="seconds between a user's pages")
    args = parser.parse_args()
    # One key for the set-up (development settings) and the production processes.
    os.environ.setdefault("RAPPORT_ENCRYPTION_KEYS", KEY)
    use_scratch_database("rapport_bench_load")

    from django.core.management import call_command
    from django_tenants.utils import schema_context
    from pages import _prepare_agency

    from apps.accounts.models import User
    from apps.channels.models import FetchRun
    from apps.channels.services import channel_create
    from apps.clients.models import Client
    from apps.listening.models import Mention
    from tests.deploy.topology import Topology
    from tests.support import closed_port

    call_command("migrate", verbosity=0)
    agency = _prepare_agency("load", args.mentions)
    feeds = serve_feeds(args.latency, lambda name: FEED.format(n=name).encode())
    base = f"http://127.0.0.1:{feeds.server_address[1]}"
    password = "load-test-password-0123"  # noqa: S105 - a scratch agency's
    with schema_context(agency["schema"]):
        owner = User.objects.get(email=f"owner@{agency['slug']}.test")
        owner.set_password(password)
        owner.save()
        clients = list(Client.objects.order_by("pk").values_list("pk", flat=True))
        mentions = list(Mention.objects.order_by("-posted_at").values_list("pk", flat=True)[:200])
        channels = [
            channel_create(client=Client.objects.get(pk=clients[0]), platform="rss",
                           name=f"Blog {n}", config={"url": f"{base}/feed/{n}.xml"}).channel.pk
            for n in range(args.channels)
        ]  # fmt: skip
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    source = os.environ["DATABASE_URL"]

    topology = Topology()
    processes: list[subprocess.Popen] = []
    logs = Path(tempfile.mkdtemp(prefix="rapport-load-"))
    try:
        started = time.perf_counter()
        topology.start_primary(source)
        topology.start_replica()
        topology.start_pooler()
        print(f"topology up in {time.perf_counter() - started:.0f} s")
        port = closed_port()
        env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings.production",
            "SECRET_KEY": "a-long-production-secret-key-for-the-load-test-0123456789abcdef",
            "RAPPORT_ALLOW_LOOPBACK_URLS": "1", "DATABASE_URL": topology.pooled_url(),
            "DATABASE_POOLER": "1", "DATABASE_REPLICA_URL": topology.replica_url(),
            "RAPPORT_VAR_DIR": str(logs), "RAPPORT_AGENCY_TASK_SLOTS": "16",
            "RAPPORT_OUTBOX_SWEEP_SECONDS": "5",
            "LOG_LEVEL": "WARNING",
        }  # fmt: skip

        # The workers through the pooler's session pool (as tests/deploy/test_topology.py): a
        # fetch holds its channel's advisory lock for its session, and the workers' few server
        # connections never take the web's; each task hands its connection on when done.
        workers_env = {**env, "DATABASE_URL": topology.pooled_url("rapport_workers"),
                       "DATABASE_POOLER": "0", "DATABASE_CONN_MAX_AGE": "0"}  # fmt: skip

        def start(name: str, *command: str, environment: dict = workers_env) -> None:
            with open(logs / f"{name}.log", "wb") as log:
                processes.append(subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log,
                                                  stderr=subprocess.STDOUT))  # fmt: skip

        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                       cwd=ROOT, env=env, check=True)  # fmt: skip
        # Kept-alive connections outlive the think time: none is closed as a request reuses it.
        start("web", sys.executable, "-m", "gunicorn", "agency.wsgi", f"--bind=127.0.0.1:{port}",
              "--workers=2", "--worker-class=gthread", "--threads=4",
              "--keep-alive=30", environment=env)  # fmt: skip
        celery = [sys.executable, "-m", "celery", "-A", "agency", "worker", "--without-gossip",
                  "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"]  # fmt: skip
        # One machine for everything: the workers yield the CPU to the web (nice), as a
        # separate worker machine would.
        celery = ["nice", "-n", "10", *celery]
        start("fetch", *celery, "-Q", "fetch", "--pool=threads", "--concurrency=20")
        start("other", *celery, "-Q", "outbound,reports,celery", "--concurrency=2")
        # Beat: publishes what the outbox holds (fetches over the agency's share step back there).
        start("beat", "nice", "-n", "10", sys.executable, "-m", "celery", "-A", "agency", "beat",
              "--loglevel=WARNING", f"--schedule={logs / 'beat-schedule'}")  # fmt: skip
        time.sleep(8)  # web and workers up

        csv_prefix = logs / "locust"
        locust_env = {
            **env, "LOAD_AGENCY_HOST": f"{agency['slug']}.localhost",
            "LOAD_EMAIL": owner.email, "LOAD_PASSWORD": password,
            "LOAD_CLIENTS": ",".join(map(str, clients)),
            "LOAD_MENTIONS": ",".join(map(str, mentions)),
            "LOAD_CHANNELS": ",".join(map(str, channels)), "LOAD_THINK": args.think,
        }  # fmt: skip
        began = time.time()
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"),
             "--headless", "-u", str(args.users + 1), "-r", "2", "-t", f"{args.seconds}s",
             "--reset-stats",  # counted once everyone has signed in (25 s at 2 a second)
             "--host", f"http://127.0.0.1:{port}", "--csv", str(csv_prefix), "--only-summary",
             "--stop-timeout", "10"],
            cwd=ROOT, env=locust_env, check=False, timeout=args.seconds + 120,
        )  # fmt: skip
        with topology.connect_primary() as primary:
            primary.execute(f"SET search_path = {agency['schema']}")
            done, last = primary.execute(  # each channel's first run (beat adds more)
                "SELECT count(*), max(first) FROM (SELECT min(finished_at) AS first "
                f"FROM {FetchRun._meta.db_table} WHERE finished_at IS NOT NULL "
                "AND channel_id = ANY(%s) GROUP BY channel_id) AS runs",
                [channels],
            ).fetchone()
        print_results(csv_prefix, args, agency, done, last.timestamp() - began if last else None)
        print(f"logs and Locust's CSV files: {logs}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        topology.stop()
        feeds.shutdown()


def print_results(prefix: Path, args, agency: dict, fetched: int, fetch_seconds) -> None:
    with open(f"{prefix}_stats.csv") as stats:
        rows = list(csv.DictReader(stats))
    last = f", the last {fetch_seconds:.0f} s after the start" if fetch_seconds else ""
    print(f"\n{agency['mentions']:,} mentions; {args.users} staff (think time {args.think} s) "
          f"for {args.seconds} s; "
          f"{args.channels} channels fetched at once ({fetched} fetched{last})")  # fmt: skip
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"machine load average (1, 5, 15 min) at the end: {load} on {os.cpu_count()} cores")
    print(f"{'request':40} {'count':>6} {'fails':>5} {'median':>7} {'p95 ms':>7} {'max ms':>7}")
    for row in rows:
        slowest = float(row["Max Response Time"])
        print(f"{row['Name']:40} {row['Request Count']:>6} {row['Failure Count']:>5} "
              f"{row['50%']:>7} {row['95%']:>7} {slowest:7.0f}")  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()

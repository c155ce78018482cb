"""Requests per second of the REST API's mention list, against a bare Django view of the same page.

    python benchmarks/api.py [--mentions 1000000] [--clients 4] [--seconds 10] [--concurrency 4]

``COPY``s ``--mentions`` mentions, spread evenly over a few clients, into one fresh agency, makes
a knox token for its owner, then starts one real server on a free loopback port (gunicorn, two
``gthread`` workers, ``DEBUG`` off, the API's rate limit raised out of the way) and drives it with
httpx over keep-alive connections from a few threads, sending ``Host: bench.localhost`` so
django-tenants routes to the agency:

- the figure: ``GET /api/v1/mentions/?client=<id>`` with ``Authorization: Token <key>`` — knox
  authentication, permissions, the per-token throttle, the filter set, the ``mention_list``
  selector, page-number pagination and ``MentionSerializer``: the first page of 50, newest first;
- the lower bound, on the same server in the same run: a bare Django view (``bare_mentions``
  below, mounted next to the project's URLs by a settings module generated into a temporary
  directory; no project file changes) behind the same middleware stack, that reads the same page
  — the same client, the same 50 newest rows through the same index, joined to their authors —
  with ``.values()`` and returns it as ``JsonResponse``: no token, no DRF, no serializer.

The clients are asked for in turn. After a warm-up, each is measured for ``--seconds`` in two
alternating halves (API, bare, API, bare) so drift hits both alike; printed: requests/s, p50/p95
latency of each and the ratio. The load generator runs on the same machine as the server and
PostgreSQL, so absolute figures are lower than on separate hosts; the ratio is the point.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _scratch import ROOT, copy_rows, use_scratch_database

BENCHMARKS = Path(__file__).resolve().parent
SLUG = "bench"
PAGE_SIZE = 50
BARE_PATH = "/bench-bare/mentions/"
MENTION_COLUMNS = (
    "id", "client_id", "channel_id", "platform", "external_id", "url", "text", "kind", "posted_at",
    "author_id", "author__handle", "author__display_name", "author__followers",
    "author__influence", "author__is_advocate", "sentiment", "sentiment_score", "matched_queries",
    "needs_acknowledgement", "status", "priority", "assigned_to_id", "team_id", "tags",
    "acknowledged_at", "language", "rating", "parent_external_id", "sla_due_at",
)  # fmt: skip
TEXTS = (
    "Just tried the {} at Northwind and it was amazing ☕ #coffee",
    "@northwindhelp my order #{} is late again... not impressed",
    "Anyone else think the new {} is overpriced? Asking for a friend",
    "Me encanta el {} de Northwind, buenísimo 😍",
    "Der {} bei Northwind war heute super lecker #latte",
)
PRODUCTS = ("latte", "flat white", "cold brew", "oat milk latte", "espresso", "croissant")

# Served by the benchmark's server only: the project's URLs plus the bare view.
SETTINGS_MODULE = """\
from agency.settings.dev import *  # noqa

ROOT_URLCONF = "bench_api_urls"
"""
URLS_MODULE = f"""\
from django.urls import path

from agency.urls import urlpatterns as project_urlpatterns
from api import bare_mentions

urlpatterns = [path({BARE_PATH.lstrip("/")!r}, bare_mentions), *project_urlpatterns]
"""


def bare_mentions(request):
    """The lower bound: the API's first page, read with ``.values()`` and sent as JSON."""
    from django.http import JsonResponse

    from apps.listening.models import Mention

    rows = list(
        Mention.objects.filter(client_id=int(request.GET["client"]))
        .order_by("-posted_at")
        .values(*MENTION_COLUMNS)[:PAGE_SIZE]
    )
    return JsonResponse({"results": rows})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mention_rows(args, clients, channels, authors, rng, now):
    """Mentions of the clients in turn, one every 30 s up to now (columns as model attnames)."""
    for n in range(args.mentions):
        which = n % args.clients
        posted = now - timedelta(seconds=(args.mentions - n) * 30)
        yield {
            "client_id": clients[which], "channel_id": channels[which], "platform": "webhook",
            "external_id": f"m{n}", "url": f"https://social.example/m/{n}",
            "author_id": authors[rng.randrange(len(authors))],
            "text": TEXTS[n % len(TEXTS)].format(PRODUCTS[rng.randrange(len(PRODUCTS))]),
            "language": "en", "posted_at": posted, "fetched_at": posted,
            "priority": ("normal", "high", "urgent", "low")[n % 4],
        }  # fmt: skip


def load(args, agency_schema: str) -> tuple[list[int], str]:
    """The agency's clients (with ``--mentions`` mentions over them) and its owner's token."""
    from django.db import connection
    from django_tenants.utils import schema_context
    from knox.models import AuthToken

    from apps.accounts.models import User
    from apps.channels.services import channel_create
    from apps.clients.services import client_create
    from apps.listening.models import Author, Mention

    rng = random.Random(42)
    now = datetime.now(UTC)
    with schema_context(agency_schema):
        clients, channels = [], []
        for n in range(args.clients):
            client = client_create(name=f"Bench Coffee {n}")
            clients.append(client.pk)
            channels.append(
                channel_create(client=client, platform="webhook", name="B", config={}).channel.pk
            )
        authors = [
            author.pk
            for author in Author.objects.bulk_create(
                Author(platform="webhook", handle=f"person{n}", display_name=f"Person {n}")
                for n in range(5000)
            )
        ]
        started = time.perf_counter()
        with connection.cursor() as cursor:
            copy_rows(cursor, Mention, mention_rows(args, clients, channels, authors, rng, now))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE listening_mention")
        seconds = time.perf_counter() - started
        print(f"set-up: COPY + VACUUM ANALYZE of the mentions {seconds:.1f} s")
        owner = User.objects.get(email="o@bench.test")
        _, key = AuthToken.objects.create(user=owner)
    return clients, key


def start_server(port: int, workers: int, threads: int, modules: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_api_settings",
        "RAPPORT_API_RATE_PER_MINUTE": "100000000",
        "DEBUG": "false",
        "PYTHONPATH": os.pathsep.join([str(modules), str(BENCHMARKS), str(ROOT)]),
    }
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "agency.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )


def hammer(base: str, headers: dict, path: str, clients: list[int], seconds: float, threads: int):
    """Requests from ``threads`` keep-alive connections for ``seconds``: (count, latencies, s)."""
    import httpx

    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        mine: list[float] = []
        with httpx.Client(base_url=base, headers=headers, trust_env=False, timeout=30) as http:
            turn = index
            while time.perf_counter() < deadline:
                client_id = clients[turn % len(clients)]
                turn += 1
                started = time.perf_counter()
                response = http.get(path, params={"client": client_id})
                mine.append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:200]}")
                    break
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    assert not failures, failures[0]
    return len(latencies), latencies, elapsed


def check(base: str, headers: dict, path: str, client_id: int) -> int:
    """One request must answer a full page; the response's size in bytes."""
    import httpx

    response = httpx.get(
        base + path, params={"client": client_id}, headers=headers, trust_env=False, timeout=30
    )
    response.raise_for_status()
    results = response.json()["results"]
    field = "client" if "client" in results[0] else "client_id"
    assert len(results) == PAGE_SIZE, response.text[:300]
    assert all(row[field] == client_id for row in results), response.text[:300]
    return len(response.content)


def wait_until_up(base: str, headers: dict, client_id: int, server: subprocess.Popen) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            httpx.get(
                base + BARE_PATH,
                params={"client": client_id},
                headers=headers,
                trust_env=False,
                timeout=5,
            )
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not come up within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time of each")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up time of each")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    args = parser.parse_args()
    use_scratch_database("rapport_bench_api")

    from django.core.management import call_command

    from apps.tenants.services import agency_host, agency_provision

    call_command("migrate", verbosity=0)
    agency = agency_provision(
        slug=SLUG, name="Bench", admin_email="o@bench.test", admin_password="pw"
    )
    clients, key = load(args, agency.schema_name)
    from django.db import connections

    connections.close_all()

    host = agency_host(SLUG)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api_path = "/api/v1/mentions/"
    api_headers = {"Host": host, "Authorization": f"Token {key}", "Accept": "application/json"}
    bare_headers = {"Host": host, "Accept": "application/json"}
    with tempfile.TemporaryDirectory() as modules:
        Path(modules, "bench_api_settings.py").write_text(SETTINGS_MODULE)
        Path(modules, "bench_api_urls.py").write_text(URLS_MODULE)
        server = start_server(port, args.workers, args.threads, Path(modules))
        try:
            wait_until_up(base, bare_headers, clients[0], server)
            api_bytes = check(base, api_headers, api_path, clients[0])
            bare_bytes = check(base, bare_headers, BARE_PATH, clients[0])
            for path, headers in ((api_path, api_headers), (BARE_PATH, bare_headers)):
                hammer(base, headers, path, clients, args.warmup, args.concurrency)
            totals = {"api": [0, [], 0.0], "bare": [0, [], 0.0]}
            for _ in range(2):
                for name, path, headers in (
                    ("api", api_path, api_headers),
                    ("bare", BARE_PATH, bare_headers),
                ):
                    count, latencies, elapsed = hammer(
                        base, headers, path, clients, args.seconds / 2, args.concurrency
                    )
                    totals[name][0] += count
                    totals[name][1].extend(latencies)
                    totals[name][2] += elapsed
        finally:
            server.terminate()
            server.wait(timeout=30)

    def figures(name: str) -> tuple[float, float, float]:
        count, latencies, elapsed = totals[name]
        cuts = statistics.quantiles(latencies, n=100)
        return count / elapsed, cuts[49] * 1000, cuts[94] * 1000

    api_rate, api_p50, api_p95 = figures("api")
    bare_rate, bare_p50, bare_p95 = figures("bare")
    print(
        f"{args.mentions:,} mentions over {args.clients} clients in one agency; "
        f"page of {PAGE_SIZE}, newest first, clients asked for in turn"
    )
    print(
        f"server: gunicorn, {args.workers} gthread workers x {args.threads} threads, DEBUG off; "
        f"load: httpx, {args.concurrency} keep-alive threads, same host; "
        f"{args.seconds:g} s measured each (after {args.warmup:g} s warm-up)"
    )
    print(
        f"GET /api/v1/mentions/?client=<id> (token):  {api_rate:8,.0f} req/s  "
        f"p50 {api_p50:6.1f} ms  p95 {api_p95:6.1f} ms  ({api_bytes:,} bytes)"
    )
    print(
        f"lower bound, bare Django view, same page:   {bare_rate:8,.0f} req/s  "
        f"p50 {bare_p50:6.1f} ms  p95 {bare_p95:6.1f} ms  ({bare_bytes:,} bytes)"
    )
    print(f"ratio API / bare view: {api_rate / bare_rate:.2f}x the throughput")


if __name__ == "__main__":
    main()

"""Fair sharing: one agency's fetches, alone and next to an agency with pathological queries.

    python benchmarks/fairness.py [--quiet 12] [--noisy 40] [--items 100] [--latency 0.3]

Two agencies share one Celery worker (prefork, ``--concurrency 6``). The quiet agency has
``--quiet`` RSS channels of a few items and one small query. The noisy one has ``--noisy``
channels of ``--items`` long items each and, per client, the most matching the limits allow
(five queries of 100 terms: 500 terms per mention). A local server answers every feed after
``--latency`` seconds. The script plays the outbox sweep (every 0.5 s) instead of beat.

Printed, with RAPPORT_AGENCY_TASK_SLOTS=--slots (2) and then with no cap (1,000): the quiet
agency's time to fetch all its channels alone (best of two, after a warm-up round), then queued
just after the noisy agency's, and the ratio; the lower bound is the quiet agency alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid

from _scratch import ROOT, serve_feeds, use_scratch_database

WORDS = ["tyre", "wheel", "brake", "chain", "saddle", "pedal", "gear", "frame", "spoke", "rim"]


def feed(name: str, items: int, long: bool) -> bytes:
    entries = []
    for n in range(items):
        text = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(120 if long else 12))
        entries.append(
            f"<item><title>{name} {n}</title><link>https://blog.example/{name}/{n}</link>"
            f"<guid>{name}-{n}-{uuid.uuid4().hex}</guid><description>{text} lovely ride"
            "</description></item>"
        )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
            + "".join(entries) + "</channel></rss>").encode()  # fmt: skip


def worker(queue: str, slots: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings.dev", "DEBUG": "false",
           "RAPPORT_AGENCY_TASK_SLOTS": str(slots),
           "RAPPORT_ENRICH_PROCESSES": "0", "CELERY_DEFAULT_QUEUE": queue}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "agency", "worker", "-Q", queue, "--pool",
         "prefork", "--concurrency", "6", "--loglevel", "WARNING", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quiet", type=int, default=12)
    parser.add_argument("--noisy", type=int, default=40)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--slots", type=int, default=2, help="RAPPORT_AGENCY_TASK_SLOTS")
    args = parser.parse_args()
    use_scratch_database("rapport_bench_fairness")

    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from agency.celery import app
    from apps.channels.models import FetchRun
    from apps.channels.services import channel_create, fetch_run_enqueue
    from apps.clients.services import client_create
    from apps.core.outbox import outbox_publish_due
    from apps.listening.services import query_create
    from apps.tenants.services import agency_provision

    call_command("migrate", verbosity=0)
    server = serve_feeds(
        args.latency,
        lambda name: feed(name, args.items if name.startswith("noisy") else 3,
                          name.startswith("noisy")),
    )  # fmt: skip
    base = f"http://127.0.0.1:{server.server_address[1]}"
    channels: dict[str, list[int]] = {}
    for slug, count in (("quiet", args.quiet), ("noisy", args.noisy)):
        agency_provision(slug=slug, name=slug.title(), admin_email=f"o@{slug}.test",
                         admin_password="pw")  # fmt: skip
        with schema_context(slug):
            clients = [
                client_create(name=f"{slug} {n}") for n in range(4 if slug == "noisy" else 1)
            ]
            for client in clients:
                if slug == "noisy":
                    for q in range(5):
                        terms = " OR ".join(
                            f"{WORDS[t % 10]}{q}{t} AND NOT x{t}" for t in range(50)
                        )
                        query_create(client=client, name=f"Everything {q}", expression=terms)
                else:
                    query_create(client=client, name="Rides", expression="lovely AND ride")
            channels[slug] = [
                channel_create(client=clients[n % len(clients)], platform="rss",
                               name=f"{slug} {n}", config={"url": f"{base}/{slug}{n}.xml"}
                               ).channel.pk
                for n in range(count)
            ]  # fmt: skip

    def enqueue(slug: str) -> list[int]:
        with schema_context(slug):
            return [fetch_run_enqueue(channel_id=pk, trigger=FetchRun.Trigger.MANUAL).pk
                    for pk in channels[slug]]  # fmt: skip

    def wait(slug: str, runs: list[int], started: float) -> float:
        while True:
            outbox_publish_due()  # what beat does every 30 s, here every 0.5 s
            with schema_context(slug):
                done = FetchRun.objects.filter(pk__in=runs, finished_at__isnull=False).count()
            if done == len(runs):
                return time.perf_counter() - started
            time.sleep(0.5)

    results = {}
    for slots in (args.slots, 1000):
        queue = f"fair-{uuid.uuid4().hex[:6]}"
        app.conf.task_default_queue = queue
        for task in app.tasks.values():
            task._exec_options = None
        process = worker(queue, slots)
        try:
            time.sleep(8)  # the worker is up
            wait("quiet", enqueue("quiet"), time.perf_counter())  # warm-up: models loaded
            alone = min(wait("quiet", enqueue("quiet"), time.perf_counter()) for _ in range(2))
            noisy_runs = enqueue("noisy")
            started = time.perf_counter()
            beside = wait("quiet", enqueue("quiet"), started)
            wait("noisy", noisy_runs, started)
        finally:
            process.terminate()
            process.wait(timeout=60)
        results[slots] = (alone, beside)
    server.shutdown()
    print(f"quiet agency: {args.quiet} channels; noisy agency: {args.noisy} channels of "
          f"{args.items} long items, 500 query terms per client; {args.latency * 1000:.0f} ms "
          "per answer; one worker, 6 processes")  # fmt: skip
    for slots, (alone, beside) in results.items():
        label = f"cap {slots} slots per agency" if slots == args.slots else "no cap                "
        print(f"{label}: quiet alone {alone:.2f} s (lower bound), next to the noisy agency "
              f"{beside:.2f} s, ratio {beside / alone:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()

"""Two Celery worker processes on two queues fetch 500 channels from a slow local server.

    python benchmarks/fetch_many.py [--channels 500] [--latency 0.2] [--threads 20]

A local HTTP server answers every feed after ``--latency`` seconds (a small RSS document, two
items per channel). ``--channels`` RSS channels of one agency point at it; their fetches go, half
and half, to two queues read by two worker processes (``--pool threads``: many fetches at once
inside each worker — fetching is waiting on the network). Printed: the time until every run has
finished, channels per second, and the lower bound: the server's latency alone at the same
concurrency (channels * latency / (2 * threads)).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid

from _scratch import ROOT, serve_feeds, use_scratch_database

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>
<item><title>Hello from {n}</title><link>https://blog.example/{n}/1</link><guid>{n}-1</guid>
<description>First post of feed {n}</description></item>
<item><title>Again from {n}</title><link>https://blog.example/{n}/2</link><guid>{n}-2</guid>
<description>Second post of feed {n}</description></item></channel></rss>"""


def worker(queue: str, threads: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings.dev", "DEBUG": "false"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "agency", "worker", "-Q", queue, "--pool",
         "threads", "--concurrency", str(threads), "--loglevel", "WARNING", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=20)
    args = parser.parse_args()
    use_scratch_database("rapport_bench_fetch")

    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from apps.channels.models import FetchRun
    from apps.channels.services import channel_create, fetch_run_queue
    from apps.channels.tasks import fetch_channel
    from apps.clients.services import client_create
    from apps.listening.models import Mention
    from apps.tenants.services import agency_provision

    call_command("migrate", verbosity=0)
    agency_provision(slug="bench", name="Bench", admin_email="o@bench.test", admin_password="pw")
    server = serve_feeds(args.latency, lambda name: FEED.format(n=name).encode())
    base = f"http://127.0.0.1:{server.server_address[1]}"
    queues = [f"fetch-a-{uuid.uuid4().hex[:6]}", f"fetch-b-{uuid.uuid4().hex[:6]}"]
    with schema_context("bench"):
        client = client_create(name="Bench Blogs")
        channels = [
            channel_create(client=client, platform="rss", name=f"Blog {n}",
                           config={"url": f"{base}/feed/{n}.xml"}).channel.pk
            for n in range(args.channels)
        ]  # fmt: skip
    workers = [worker(queue, args.threads) for queue in queues]
    try:
        time.sleep(8)  # both workers up and connected
        started = time.perf_counter()
        with schema_context("bench"):
            for n, channel_id in enumerate(channels):
                run = fetch_run_queue(channel_id=channel_id, trigger=FetchRun.Trigger.MANUAL)
                fetch_channel.apply_async((channel_id, run.pk), queue=queues[n % 2])
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                if FetchRun.objects.filter(finished_at__isnull=False).count() == len(channels):
                    break
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
            failed = FetchRun.objects.exclude(status=FetchRun.Status.SUCCEEDED).count()
            stored = Mention.objects.count()
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            process.wait(timeout=30)
        server.shutdown()
    bound = args.channels * args.latency / (2 * args.threads)
    print(f"{args.channels} channels, {args.latency * 1000:.0f} ms per answer, 2 workers x "
          f"{args.threads} threads on 2 queues")  # fmt: skip
    print(f"all fetched in {elapsed:.1f} s — {args.channels / elapsed:.1f} channels/s "
          f"({failed} not succeeded, {stored} mentions stored)")  # fmt: skip
    print(f"lower bound (the server's latency at this concurrency): {bound:.1f} s; "
          f"ratio {elapsed / bound:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()

"""Server time of every workspace page with the demo's data, next to the SQL those pages run.

    python benchmarks/pages.py [--runs 5]

Seeds the demo agency (``seed_demo``: 3 clients, ~14,000 mentions over 90 days, their channels
fetched from the local fake platforms) in a scratch database, signs in as the demo owner and
requests each page in-process through the whole middleware stack: one warm-up request (it may
roll up a report's days), then the best of ``--runs``.

Lower bound, in the same run: the SQL each page ran (captured on its last request) executed
alone on the same connection, best of ``--runs``; the ratio says what Django, the templates and
Python add on top of the database's own work. A second floor is the sign-in page, a view that
reads nothing: the cost of the middleware stack itself.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from _scratch import use_scratch_database


def best_of(runs: int, action) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("RAPPORT_ALLOW_LOOPBACK_URLS", "1")  # the demo's local platforms
    use_scratch_database("rapport_bench_pages")

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as Browser
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import schema_context

    from apps.channels.models import Channel
    from apps.clients.models import Client
    from apps.demo.fake_platforms import make_fake_server
    from apps.demo.services import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, demo_seed
    from apps.listening.models import ListeningQuery, Mention
    from apps.tenants.services import agency_host

    call_command("migrate", verbosity=0)
    server = make_fake_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started = time.perf_counter()
    demo_seed(platforms_url=f"http://127.0.0.1:{server.server_address[1]}")
    print(f"set-up: seed_demo {time.perf_counter() - started:.1f} s")
    server.shutdown()

    with schema_context("demo"):
        northwind = Client.objects.get(slug="northwind-coffee")
        mention = Mention.objects.filter(client=northwind, needs_acknowledgement=True).first()
        channel = Channel.objects.filter(client=northwind).first()
        query = ListeningQuery.objects.filter(client=northwind).first()
        mentions = Mention.objects.count()
    pages = [
        "/", "/inbox/", "/inbox/?status=all&sentiment=negative", f"/inbox/{mention.pk}/",
        "/inbox/counts/", "/reports/", f"/reports/clients/{northwind.pk}/",
        "/listening/mentions/", "/listening/mentions/?q=latte", "/listening/queries/",
        f"/listening/queries/{query.pk}/", "/channels/", f"/channels/{channel.pk}/",
    ]  # fmt: skip
    browser = Browser(HTTP_HOST=agency_host("demo"))
    signed_out = Browser(HTTP_HOST=agency_host("demo"))
    signed_in = browser.post(
        "/accounts/login/", {"username": DEMO_OWNER_EMAIL, "password": DEMO_OWNER_PASSWORD}
    )
    assert signed_in.status_code == 302, signed_in.status_code

    def get(client, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    floor = best_of(args.runs, lambda: get(signed_out, "/accounts/login/"))
    print(f"demo agency: {mentions:,} mentions; best of {args.runs} after one warm-up request")
    print(f"middleware floor (sign-in page, reads nothing): {floor * 1000:.1f} ms\n")
    print(f"{'page':44} {'server ms':>9} {'SQL ms':>8} {'queries':>7} {'ratio':>6}")
    for path in pages:
        get(browser, path)  # warm-up: a report may roll up its days once
        page = best_of(args.runs, lambda path=path: get(browser, path))
        with CaptureQueriesContext(connection) as captured:
            get(browser, path)
        statements = [
            query["sql"]
            for query in captured.captured_queries
            if query["sql"].lstrip().upper().startswith(("SELECT", "WITH", "SET"))
        ]

        def run_sql(statements=statements) -> None:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
                    if cursor.description:
                        cursor.fetchall()

        with schema_context("demo"):
            sql = best_of(args.runs, run_sql)
        print(
            f"{path:44} {page * 1000:9.1f} {sql * 1000:8.1f} {len(statements):7d} "
            f"{page / sql:5.1f}x"
        )


if __name__ == "__main__":
    main()

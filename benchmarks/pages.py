"""Server time of every workspace page, next to the SQL those pages run.

    python benchmarks/pages.py --demo [--runs 5]
    python benchmarks/pages.py [--small 10000] [--large 1000000] [--runs 3] [--database NAME]

**Scale** (the default): two agencies built by ``generate_load`` (``COPY``), one of ``--small`` and
one of ``--large`` mentions over 90 days (three clients; a fifth open, the rest acknowledged, with
acknowledgements, some escalated, dismissed, assigned and routed to a team), ``VACUUM ANALYZE``d.
For each agency, as its owner, in-process through the whole middleware stack: the home page, every
inbox view, the newest open mention's conversation, the API's mention and acknowledgement lists
(first page, and the page 50,000 rows in by cursor — the last page on the small agency), the client
dashboard (30 and 90 days), the agency overview, a client's community page and search. Each page:
one warm-up request, then the best of ``--runs``. Lower bound, same run: the page's SQL (captured
on its last request) under ``EXPLAIN ANALYZE`` — planning plus execution, best of ``--runs`` — plus
the floor every page pays (the sign-in page, signed out: middleware, session, a small template, no
data). Printed per page: both agencies' times, their SQL bounds, time ÷ (SQL + floor), time ÷ SQL
alone, and the growth from small to large.

**Demo** (``--demo``):
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
    parser.add_argument("--demo", action="store_true", help="the demo's data (seed_demo)")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--database", default="rapport_bench_pages", help="scratch database")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the agencies a previous run left in --database"
    )
    args = parser.parse_args()
    if args.demo:
        args.runs = args.runs or 5
        demo(args)
    else:
        args.runs = args.runs or 3
        scale(args)


def demo(args) -> None:
    os.environ.setdefault("RAPPORT_ALLOW_LOOPBACK_URLS", "1")  # the demo's local platforms
    use_scratch_database(args.database)

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


DEEP = 50_000  # rows in: the deep API page


def _prepare_agency(slug: str, mentions: int) -> dict:
    """``generate_load``'s agency ``slug`` with the states the inbox views filter on, its
    acknowledgements, analysed; what the pages need to know about it."""
    from django.db import connection
    from django_tenants.utils import schema_context
    from knox.models import AuthToken

    from apps.accounts.models import Team, User
    from apps.clients.models import Client
    from apps.demo.load import load_generate
    from apps.listening.models import Mention

    started = time.perf_counter()
    load_generate(agencies=1, mentions=mentions, prefix=slug)
    agency = f"{slug}-1"
    with schema_context(agency.replace("-", "_")), connection.cursor() as cursor:
        owner = User.objects.get(email=f"owner@{agency}.test")
        team = Team.objects.filter(slug="support").first()
        if team is None:  # not prepared by a previous run (--reuse)
            team = _prepare_states(cursor, owner)
        # As autovacuum leaves a table between bulk writes: pages all-visible, so that the
        # reports' covering indexes are read alone (index-only scans) — the mentions, the
        # acknowledgements and the per-person tables their triggers fill (the funnel's first
        # acknowledgements, the newcomers' activity).
        for table in ("listening_mention", "acknowledgements_acknowledgement",
                      "listening_acknowledgedmention", "listening_authoractivity"):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")
        _, token = AuthToken.objects.create(user=owner)
        client = Client.objects.order_by("pk").first()
        count = Mention.objects.count()
    print(f"set-up: {agency}: {count:,} mentions in {time.perf_counter() - started:.0f} s")
    return {"slug": agency, "schema": agency.replace("-", "_"), "token": token,
            "client": client.pk, "team": team.pk, "mentions": count}  # fmt: skip


def _prepare_states(cursor, owner):
    """Some escalated (to a team), assigned and dismissed mentions; an acknowledgement for each
    acknowledged one; fresh statistics."""
    from apps.accounts.models import Team
    from apps.listening.models import Mention

    owner.set_password("bench")
    owner.save()
    team = Team.objects.create(name="Support", slug="support")
    table = Mention._meta.db_table
    # A few of every state the inbox shows: escalated to the team, assigned, dismissed.
    cursor.execute(
        f"UPDATE {table} SET status = CASE WHEN id %% 97 = 0 THEN 'escalated' "
        "WHEN id %% 89 = 0 THEN 'assigned' ELSE 'dismissed' END, "
        "team_id = CASE WHEN id %% 97 = 0 THEN %s END, "
        "assigned_to_id = CASE WHEN id %% 89 = 0 THEN %s END "
        "WHERE status = 'new' AND (id %% 97 = 0 OR id %% 89 = 0 OR id %% 83 = 0)",
        [team.pk, owner.pk],
    )
    cursor.execute(
        "INSERT INTO acknowledgements_acknowledgement (kind, text, created_at, external_id, "
        "external_url, delivery_status, delivery_error, attempts, is_personal, mention_id, "
        "user_id, wording_key, client_id, first_response_minutes) "
        "SELECT 'replied_elsewhere', 'Thank you!', acknowledged_at, '', '', 'delivered', '', "
        f"0, true, id, %s, '', client_id, time_to_acknowledge_minutes FROM {table} "
        "WHERE acknowledged_at IS NOT NULL",
        [owner.pk],
    )
    cursor.execute("ANALYZE")
    return team


def _deep_cursor(schema: str, queryset_of, rows_in: int) -> str:
    """The cursor of the page ``rows_in`` rows into a list (found once, by OFFSET)."""
    from django_tenants.utils import schema_context

    from apps.core.keyset import encode_cursor, ordering_keys

    with schema_context(schema):
        queryset = queryset_of()
        total = queryset.count()
        row = queryset[min(rows_in, max(total - 51, 0))]
        return encode_cursor(ordering_keys(queryset), row)


def _pages(agency: dict) -> list[tuple[str, str]]:
    """(label, path) of every page measured, the same for both agencies."""
    from datetime import date, timedelta
    from urllib.parse import quote

    from django_tenants.utils import schema_context

    from apps.accounts.models import User
    from apps.acknowledgements.selectors import acknowledgement_list
    from apps.listening.selectors import mention_list

    with schema_context(agency["schema"]):
        owner = User.objects.get(email=f"owner@{agency['slug']}.test")
        newest = mention_list(user=owner).open().order_by("-posted_at", "-pk").first()
    mentions_deep = _deep_cursor(agency["schema"], lambda: mention_list(user=owner), DEEP)
    acks_deep = _deep_cursor(agency["schema"], lambda: acknowledgement_list(user=owner), DEEP)
    today = date.today()
    days = {n: f"since={today - timedelta(days=n - 1)}&until={today}" for n in (30, 90)}
    client, team = agency["client"], agency["team"]
    return [
        ("home (my queue)", "/"),
        ("inbox: open", "/inbox/"),
        ("inbox: new", "/inbox/?status=new"),
        ("inbox: assigned", "/inbox/?status=assigned"),
        ("inbox: escalated", "/inbox/?status=escalated"),
        ("inbox: acknowledged", "/inbox/?status=acknowledged"),
        ("inbox: dismissed", "/inbox/?status=dismissed"),
        ("inbox: all", "/inbox/?status=all"),
        ("inbox: all, negative", "/inbox/?status=all&sentiment=negative"),
        ("inbox: new, negative", "/inbox/?status=new&sentiment=negative"),
        ("inbox: team", f"/inbox/?status=all&team={team}"),
        ("inbox: one client", f"/inbox/?client={client}"),
        ("inbox: oldest first", "/inbox/?ordering=posted_at"),
        ("inbox: SLA due first", "/inbox/?ordering=sla_due_at"),
        ("inbox: priority first", "/inbox/?ordering=-priority_score"),
        ("inbox: counts poll", "/inbox/counts/"),
        ("conversation (newest open)", f"/inbox/{newest.pk}/"),
        ("inbox: search", "/inbox/?status=all&q=latte"),
        ("API mentions, first page", "/api/v1/mentions/"),
        ("API mentions, 50,000 in", f"/api/v1/mentions/?cursor={quote(mentions_deep)}"),
        ("API mentions, negative", "/api/v1/mentions/?sentiment=negative"),
        ("API acknowledgements, first", "/api/v1/acknowledgements/"),
        ("API acknowledgements, 50,000 in", f"/api/v1/acknowledgements/?cursor={quote(acks_deep)}"),
        ("API search", "/api/v1/mentions/?q=latte"),
        ("dashboard, 30 days", f"/reports/clients/{client}/?{days[30]}"),
        ("dashboard, 90 days", f"/reports/clients/{client}/?{days[90]}"),
        ("agency overview", "/reports/"),
        ("community of a client", f"/community/clients/{client}/"),
        ("search page", "/listening/mentions/?q=latte"),
    ]  # fmt: skip


def _lower_bound(schema: str, statements: list[str]) -> float:
    """The statements' planning plus execution time under EXPLAIN ANALYZE, in seconds."""
    import json

    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    total = 0.0
    with schema_context(schema), transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            if sql.lstrip().upper().startswith("SET TRANSACTION"):
                continue  # a snapshot's isolation: only the first statement of a transaction
            if sql.lstrip().upper().startswith("SET"):
                cursor.execute(sql)
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            total += plan[0]["Planning Time"] + plan[0]["Execution Time"]
    return total / 1000


def _is_list_read(sql: str) -> bool:
    """A page of a mention or acknowledgement list (a LIMITed SELECT from those tables), as
    opposed to the counts and reports around it."""
    head = sql.split(" WHERE ", 1)[0]
    tables = ('FROM "listening_mention"', 'FROM "acknowledgements_acknowledgement"')
    return " LIMIT " in sql and "COUNT(" not in head and any(t in head for t in tables)


def _measure(agency: dict, pages: list[tuple[str, str]], runs: int) -> dict[str, tuple]:
    from django.db import connection
    from django.test import Client as Browser
    from django.test.utils import CaptureQueriesContext

    from apps.tenants.services import agency_host

    browser = Browser(HTTP_HOST=agency_host(agency["slug"]))
    signed_in = browser.post(
        "/accounts/login/", {"username": f"owner@{agency['slug']}.test", "password": "bench"}
    )
    assert signed_in.status_code == 302, signed_in.status_code
    api = Browser(
        HTTP_HOST=agency_host(agency["slug"]), HTTP_AUTHORIZATION=f"Token {agency['token']}"
    )
    # The floor any page pays: the sign-in page, signed out, reads nothing but the tenant's
    # domain — the middleware stack, a session and a small template.
    signed_out = Browser(HTTP_HOST=agency_host(agency["slug"]))
    floor = best_of(runs, lambda: signed_out.get("/accounts/login/"))
    found = {"floor": floor}
    for label, path in pages:
        client = api if path.startswith("/api/") else browser

        def get(client=client, path=path) -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        get()  # warm-up: a report may roll up its days once
        page = best_of(runs, get)
        with CaptureQueriesContext(connection) as captured:
            get()
        statements = [
            query["sql"]
            for query in captured.captured_queries
            if query["sql"].lstrip().upper().startswith(("SELECT", "WITH", "SET"))
        ]
        bound = min(_lower_bound(agency["schema"], statements) for _ in range(runs))
        lists = [sql for sql in statements if _is_list_read(sql)]
        read = min(_lower_bound(agency["schema"], lists) for _ in range(runs)) if lists else 0
        found[label] = (page, bound, read)
    return found


def scale(args) -> None:
    os.environ.setdefault("DEBUG", "False")  # as served: no debug cursors, no debug pages
    use_scratch_database(args.database, keep=args.reuse)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    small = _prepare_agency("small", args.small)
    large = _prepare_agency("large", args.large)
    pages_small, pages_large = _pages(small), _pages(large)
    measured_small = _measure(small, pages_small, args.runs)
    measured_large = _measure(large, pages_large, args.runs)
    floor_small, floor_large = measured_small.pop("floor"), measured_large.pop("floor")
    print(f"\nbest of {args.runs} after one warm-up request; bound = the page's SQL under "
          "EXPLAIN ANALYZE (planning + execution)")  # fmt: skip
    print(
        f"floor = the sign-in page, signed out (reads nothing): {floor_small * 1000:.1f} ms "
        f"(small), {floor_large * 1000:.1f} ms (large); lower bound = bound + floor"
    )
    head = f"{small['mentions'] // 1000:,}k"
    tail = f"{large['mentions'] // 1000:,}k"
    print("list = the page's mention/acknowledgement list read alone (EXPLAIN ANALYZE)")
    print(
        f"{'page':34} {head + ' ms':>9} {'bound':>7} {'list':>6} {tail + ' ms':>10} "
        f"{'bound':>8} {'list':>6} {'/lower':>7} {'/sql':>6} {'growth':>7} {'list growth':>11}"
    )
    for label, _ in pages_small:
        (a, a_bound, a_list), (b, b_bound, b_list) = measured_small[label], measured_large[label]
        list_growth = f"{b_list / a_list:10.2f}x" if a_list else f"{'-':>11}"
        print(
            f"{label:34} {a * 1000:9.1f} {a_bound * 1000:7.1f} {a_list * 1000:6.1f} "
            f"{b * 1000:10.1f} {b_bound * 1000:8.1f} {b_list * 1000:6.1f} "
            f"{b / (b_bound + floor_large):6.1f}x {b / b_bound:5.1f}x {b / a:6.2f}x {list_growth}"
        )


if __name__ == "__main__":
    main()

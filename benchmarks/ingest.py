"""Ingest throughput of the real page path against a raw ``COPY`` of the same rows.

    python benchmarks/ingest.py [--mentions 100000] [--page-size 100]

Stores synthetic mentions page by page exactly as ``channel_fetch`` does — ``ingest_pages``: one
transaction per page (author upsert, de-duplicated mention insert, the cursor update), the next
page enriched in a helper process meanwhile (``RAPPORT_ENRICH_PROCESSES``, default 1) —
then, in the same run, ``COPY``s the same rows into identical empty tables (same columns,
constraints, foreign keys and indexes) as the lower bound, and prints both rates and their ratio.
Ingest includes enrichment (sentiment, language, three listening queries, spam and repeats), so
it also prints the sentiment model's own time on the same texts, the ratio against ``COPY`` plus
that time, and which stage dominates.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta

from _scratch import use_scratch_database

SENTENCE = (
    "coffee latte order delivery late thanks great support app crash refund barista cold brew "
    "beans price love hate wait queue staff friendly store open closed oat milk"
)
WORDS = tuple(SENTENCE.split(" "))


QUERIES = (
    ("Cold drinks", '"cold brew" OR iced OR (cold AND NOT hot)'),
    ("Service", "staff OR barista* OR queue OR wait"),
    ("App problems", "app AND (crash OR refund)"),
)


def simulator_texts(count: int) -> list[str]:
    """Texts of the demo's platform simulator: customers' questions, complaints, praise,
    reviews and replies in four languages (58 characters, 10 words on average)."""
    from apps.demo.fake_platforms import SEED, STREAMS, conversation

    texts: list[str] = []
    slot = 0
    while len(texts) < count:
        for stream in range(len(STREAMS)):
            texts.extend(item.text for item in conversation(SEED, stream, slot))
        slot += 1
    return texts[:count]


def synthetic(count: int, authors: int, texts: str = "simulator"):
    from apps.channels.connectors.base import AuthorData, MentionData

    rng = random.Random(42)
    if texts == "simulator":
        bodies = simulator_texts(count)
    else:  # "random": 6 to 30 random words, a stress case twice as long as real posts
        bodies = [" ".join(rng.choices(WORDS, k=rng.randint(6, 30))) for _ in range(count)]
    start = datetime(2026, 8, 1, tzinfo=UTC)
    people = [
        AuthorData(handle=f"person{n}", display_name=f"Person {n}", followers=rng.randint(0, 9000))
        for n in range(authors)
    ]
    return [
        MentionData(
            external_id=f"m-{n}",
            text=bodies[n],
            posted_at=start + timedelta(seconds=n * 60),
            author=people[rng.randrange(authors)],
            kind="comment" if n % 3 else "post",
            url=f"https://social.example/@x/{n}",
            parent_external_id=f"m-{n - 1}" if n % 3 else "",
        )
        for n in range(count)
    ]


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far, NaN if it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_cpu(connection) -> float:
    """CPU seconds of this connection's PostgreSQL backend (NaN when the server is elsewhere)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return _process_cpu(cursor.fetchone()[0])


def _helpers_cpu() -> float:
    """CPU seconds of the enrichment helper processes."""
    from apps.listening import enrich

    pool = enrich._pool
    return sum(_process_cpu(process.pid) for process in pool._pool) if pool else 0.0


def _time_waits_for_enrichment() -> list[float]:
    """Count the time the storing process waits for a page's enrichment from the helper."""
    from apps.listening import enrich

    waited = [0.0]
    result = enrich._InHelper.result

    def timed(self):
        started = time.perf_counter()
        try:
            return result(self)
        finally:
            waited[0] += time.perf_counter() - started

    enrich._InHelper.result = timed
    return waited


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--texts", choices=("simulator", "random"), default="simulator")
    parser.add_argument("--database", default="rapport_bench_ingest", help="scratch database")
    args = parser.parse_args()
    use_scratch_database(args.database)

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from apps.channels.connectors.base import FetchPage
    from apps.channels.models import Channel
    from apps.channels.services import channel_create
    from apps.clients.services import client_create
    from apps.listening.enrich import active_queries, enrich_page
    from apps.listening.ingest import ingest_pages
    from apps.listening.language import detect_languages
    from apps.listening.models import ListeningQuery, Mention
    from apps.listening.sentiment import get_sentiment_model, score_and_intent
    from apps.tenants.services import agency_provision

    call_command("migrate", verbosity=0)
    agency = agency_provision(
        slug="bench", name="Bench", admin_email="o@bench.test", admin_password="pw"
    )
    items = synthetic(args.mentions, args.authors, args.texts)

    with schema_context(agency.schema_name):
        client = client_create(name="Bench Coffee", brand_handles=["benchcoffee"])
        for name, expression in QUERIES:
            ListeningQuery.objects.create(client=client, name=name, expression=expression)
        channel = channel_create(client=client, platform="webhook", name="Bench", config={}).channel
        created = 0

        def on_stored(page, stored) -> None:  # what channel_fetch does in the page's transaction
            nonlocal created
            created += stored.created
            Channel.objects.filter(pk=channel.pk).update(cursor=page.next_cursor)

        pages = (
            FetchPage(items=items[offset : offset + args.page_size], next_cursor={"at": offset})
            for offset in range(0, len(items), args.page_size)
        )
        waited = _time_waits_for_enrichment()
        server_cpu = _server_cpu(connection)
        started, cpu_started = time.perf_counter(), time.process_time()
        ingest_pages(channel=channel, pages=pages, on_stored=on_stored)
        ingest_seconds = time.perf_counter() - started
        storing_cpu = time.process_time() - cpu_started
        ingest_server_cpu = _server_cpu(connection) - server_cpu
        helper_cpu = _helpers_cpu()
        assert created == args.mentions == Mention.objects.count()

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE copy_author (LIKE listening_author INCLUDING ALL)")
            cursor.execute("CREATE TABLE copy_mention (LIKE listening_mention INCLUDING ALL)")
            # Same integrity as the real table: its foreign keys too (LIKE copies none).
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'listening_mention'::regclass AND contype = 'f'"
            )
            for (definition,) in cursor.fetchall():
                cursor.execute(f"ALTER TABLE copy_mention ADD {definition}")
            # The same rows, exactly as ingest stored them (read outside the timing).
            author_columns = (
                "id, platform, handle, display_name, followers, profile_url, influence, "
                "is_advocate, first_seen_at"
            )
            mention_columns = (
                "client_id, channel_id, platform, external_id, url, author_id, text, language, "
                "kind, parent_external_id, rating, engagement, posted_at, fetched_at, "
                "sentiment_score, sentiment, intent, matched_queries, is_spam, is_duplicate, "
                "needs_acknowledgement, customer_id, status, priority, tags"
            )
            cursor.execute(f"SELECT {author_columns} FROM listening_author")
            author_rows = cursor.fetchall()
            cursor.execute(f"SELECT {mention_columns} FROM listening_mention ORDER BY id")
            mention_rows = cursor.fetchall()
            server_cpu = _server_cpu(connection)
            started, cpu_started = time.perf_counter(), time.process_time()
            with cursor.copy(f"COPY copy_author ({author_columns}) FROM STDIN") as copy:
                for row in author_rows:
                    copy.write_row(row)
            with cursor.copy(f"COPY copy_mention ({mention_columns}) FROM STDIN") as copy:
                for row in mention_rows:
                    copy.write_row(row)
            copy_seconds = time.perf_counter() - started
            copy_client_cpu = time.process_time() - cpu_started
            copy_server_cpu = _server_cpu(connection) - server_cpu
        seen = author_rows

        # The enrichment stages alone, on the same texts, for the second ratio and the breakdown.
        texts = [item.text for item in items]
        languages = list(Mention.objects.order_by("id").values_list("language", flat=True))
        started = time.perf_counter()
        score_and_intent(texts, languages)
        sentiment_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for offset in range(0, len(texts), args.page_size):
            detect_languages(texts[offset : offset + args.page_size])
        language_seconds = time.perf_counter() - started
        queries = active_queries(client.pk)
        started = time.perf_counter()
        for offset in range(0, len(items), args.page_size):
            enrich_page(
                items[offset : offset + args.page_size], platform="webhook", queries=queries
            )
        enrich_seconds = time.perf_counter() - started

    ingest_rate = args.mentions / ingest_seconds
    copy_rate = args.mentions / copy_seconds
    average = sum(len(item.text) for item in items) / len(items)
    helpers = settings.RAPPORT_ENRICH_PROCESSES
    rows = [
        (f"page ingest (ingest_pages: {helpers} enrichment process(es), one transaction per "
         "page with its cursor)", ingest_seconds),
        ("lower bound: COPY of the same rows into identical tables", copy_seconds),
        (f"the sentiment model alone ({type(get_sentiment_model()).__name__}: score and intent, "
         "each text's language) on the same texts", sentiment_seconds),
        ("language detection alone (py3langid, by page) on the same texts", language_seconds),
        (f"all enrichment alone (sentiment, language, {len(queries)} queries, spam, repeats)",
         enrich_seconds),
    ]  # fmt: skip
    print(f"{args.mentions:,} mentions from {len(seen):,} authors in pages of {args.page_size}; "
          f"{args.texts} texts of {average:.0f} characters on average")  # fmt: skip
    for label, seconds in rows:
        print(f"  {label:<92} {seconds:6.2f} s  {args.mentions / seconds:9,.0f} /s")
    print(f"ratio ingest / COPY:                     {ingest_rate / copy_rate:.2f}")
    waiting = waited[0] if helpers else 0.0
    print(
        f"the storing process's {ingest_seconds:.2f} s: {waiting:.2f} s waiting for enrichment, "
        f"{storing_cpu:.2f} s of its own CPU (Python), "
        f"{ingest_seconds - waiting - storing_cpu:.2f} s waiting for PostgreSQL (and the CPU)"
    )
    if ingest_server_cpu == ingest_server_cpu:  # not NaN: the server runs on this machine
        ingest_cpu = storing_cpu + helper_cpu + ingest_server_cpu
        copy_cpu = copy_client_cpu + copy_server_cpu
        print(
            f"CPU seconds, ingest: {ingest_cpu:.2f} (storing process {storing_cpu:.2f}, enrichment "
            f"helper {helper_cpu:.2f}, PostgreSQL {ingest_server_cpu:.2f}); COPY: {copy_cpu:.2f} "
            f"(client {copy_client_cpu:.2f}, PostgreSQL {copy_server_cpu:.2f}); "
            f"ratio of CPU COPY / ingest: {copy_cpu / ingest_cpu:.2f}"
        )
    bound = copy_seconds + sentiment_seconds
    print(f"ratio ingest / (COPY + sentiment model): {bound / ingest_seconds:.2f}")
    # With a helper process, enrichment runs beside the storing and the slower one sets the pace.
    storing = ingest_seconds - (0 if helpers else enrich_seconds)
    stages = {"enrichment": enrich_seconds, "storing": storing}
    print(
        f"dominant stage: {max(stages, key=stages.get)} (enrichment {enrich_seconds:.2f} s of "
        f"CPU, ingest {ingest_seconds:.2f} s in all)"
    )


if __name__ == "__main__":
    main()

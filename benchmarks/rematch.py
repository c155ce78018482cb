"""Re-matching a client's past mentions after a query edit, against reading and tokenising them.

    python benchmarks/rematch.py [--mentions 100000] [--batch-size 5000]

``COPY``s synthetic social mentions (several platforms and languages, hashtags, handles, emoji)
into one client of a fresh agency, files them under a query, then times the edit end to end:
``query_update`` with a new expression (the Celery send is replaced by a no-op: the worker's work
is the ``query_rematch_run`` timed right after) and the re-match itself, batch by batch with its
committed progress. In the same run it times the lower bound: reading the same (id, text) rows in
the same keyset batches and tokenising each text once, with no matching and no writes.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from _scratch import copy_rows, use_scratch_database

PLATFORMS = ("mastodon", "bluesky", "reddit", "youtube", "instagram", "facebook_page")
BRANDS = ("Northwind", "northwind", "Contoso", "Fabrikam")
PRODUCTS = ("latte", "flat white", "cold brew", "oat milk latte", "espresso", "decaf latte",
            "matcha", "chai", "croissant", "blueberry muffin", "pumpkin spice latte")  # fmt: skip
TAGS = ("coffee", "northwind", "latte", "morning", "caffeine", "contoso", "barista", "mondays")
EMOJI = ("☕", "😍", "🙄", "🔥", "😡", "🥐", "👍", "")
TEMPLATES = {
    "en": (
        "Just tried the {product} at {brand} on {street} and it was {good} {emoji} #{tag}",
        "@{handle} my order #{number} is {late} again... {product} went cold. Not impressed",
        "Anyone else think {brand}'s new {product} is {bad}? Asking for a friend",
        "{brand} app keeps crashing when I pay for my {product}. Fix it please @{handle}",
        "Shoutout to the barista at {brand} {street} who remembered my {product}! #{tag} #{tag2}",
        "{product} > everything. Fight me. {emoji}",
        "Is {brand} open on Sundays? Need a {product} before church",
        "Switched from {brand} to Fabrikam, their {product} is way better tbh",
    ),
    "es": (
        "Me encanta el {product} de {brand}, {good_es} {emoji} #{tag}",
        "@{handle} llevo 20 minutos esperando mi {product}, qué desastre",
        "¿Alguien sabe si {brand} tiene leche de avena? Quiero un {product}",
    ),
    "fr": (
        "Le {product} de {brand} rue {street} est {good_fr} {emoji}",
        "@{handle} ma commande n°{number} n'est jamais arrivée, remboursez-moi svp",
    ),
    "de": (
        "Der {product} bei {brand} am {street} war heute {good_de} {emoji} #{tag}",
        "@{handle} eure App stürzt beim Bezahlen ab. Bitte fixen!",
    ),
    "pt-BR": (
        "Amei o {product} da {brand}, {good_pt} {emoji} #{tag}",
        "@{handle} meu pedido #{number} atrasou de novo, que decepção",
    ),
}
LANGUAGE_WEIGHTS = {"en": 70, "es": 12, "fr": 7, "de": 6, "pt-BR": 5}
WORDS = {
    "good": ("amazing", "perfect", "so good", "fine I guess", "actually great"),
    "bad": ("overpriced", "too sweet", "a bit bland", "burnt"),
    "late": ("late", "missing", "wrong", "stuck"),
    "good_es": ("buenísimo", "perfecto", "muy rico"),
    "good_fr": ("parfait", "délicieux", "pas terrible"),
    "good_de": ("super", "lecker", "zu süß"),
    "good_pt": ("perfeito", "delicioso", "muito bom"),
    "street": ("Main St", "Baker Street", "Queen St", "Elm Road", "Hauptstraße", "Oxford Road"),
    "handle": ("northwind", "northwindhelp", "contoso", "fabrikam_cafe", "barista_jo"),
}

# The edit under test: a brand query widened from two drinks to a family, English only, plus
# the brand's hashtag on Instagram.
BEFORE = 'northwind (latte OR "flat white") -decaf'
AFTER = (
    '(northwind OR @northwind OR @northwindhelp) (latte OR "flat white" OR "cold brew" OR oat*)'
    " -decaf lang:en OR (#northwind platform:instagram)"
)


def synthetic_text(rng: random.Random, language: str) -> str:
    template = rng.choice(TEMPLATES[language])
    values = {key: rng.choice(options) for key, options in WORDS.items()}
    return template.format(
        product=rng.choice(PRODUCTS), brand=rng.choice(BRANDS), emoji=rng.choice(EMOJI),
        tag=rng.choice(TAGS), tag2=rng.choice(TAGS), number=rng.randint(1000, 99999), **values,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=5_000)
    args = parser.parse_args()
    use_scratch_database("rapport_bench_rematch")

    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from apps.channels.services import channel_create
    from apps.clients.services import client_create
    from apps.listening import tasks
    from apps.listening.models import Author, Mention
    from apps.listening.query_language import tokenize_text
    from apps.listening.services import query_create, query_rematch_run, query_update
    from apps.tenants.services import agency_provision

    call_command("migrate", verbosity=0)
    agency = agency_provision(
        slug="bench", name="Bench", admin_email="o@bench.test", admin_password="pw"
    )
    sent: list[int] = []
    tasks.rematch_query.delay = sent.append  # no broker: the worker's work is timed below

    rng = random.Random(42)
    start = datetime(2026, 8, 1, tzinfo=UTC)
    languages = rng.choices(
        list(LANGUAGE_WEIGHTS), weights=list(LANGUAGE_WEIGHTS.values()), k=args.mentions
    )
    with schema_context(agency.schema_name):
        client = client_create(name="Northwind Coffee", brand_handles=["northwind"])
        channel = channel_create(client=client, platform="webhook", name="Bench", config={}).channel
        with connection.cursor() as cursor:
            copy_rows(
                cursor,
                Author,
                [
                    {"platform": PLATFORMS[n % len(PLATFORMS)], "handle": f"person{n}"}
                    for n in range(args.authors)
                ],
            )
            cursor.execute("SELECT handle, id, platform FROM listening_author")
            authors = [(pk, platform) for _, pk, platform in sorted(cursor.fetchall())]
            rows = []
            for n in range(args.mentions):
                author_id, platform = authors[rng.randrange(len(authors))]
                rows.append({
                    "client_id": client.pk, "channel_id": channel.pk, "platform": platform,
                    "external_id": f"m-{n}", "url": f"https://social.example/{platform}/{n}",
                    "author_id": author_id, "text": synthetic_text(rng, languages[n]),
                    "language": languages[n], "posted_at": start + timedelta(seconds=n * 30),
                    "fetched_at": start + timedelta(seconds=n * 30 + 5),
                })  # fmt: skip
            started = time.perf_counter()
            copy_rows(cursor, Mention, rows)
            copy_seconds = time.perf_counter() - started
            cursor.execute("VACUUM ANALYZE listening_mention")
        del rows

        query = query_create(client=client, name="Northwind lattes", expression=BEFORE)
        first = query_rematch_run(rematch_id=sent[-1], batch_size=args.batch_size)
        filed_before = set(
            Mention.objects.filter(matched_queries__contains=[query.pk]).values_list(
                "pk", flat=True
            )
        )

        # The figure: edit the expression, then the worker's re-match, end to end.
        started = time.perf_counter()
        query_update(query=query, expression=AFTER)
        rematch = query_rematch_run(rematch_id=sent[-1], batch_size=args.batch_size)
        rematch_seconds = time.perf_counter() - started
        assert rematch.status == "done" and rematch.processed == args.mentions, rematch

        filed = set(
            Mention.objects.filter(matched_queries__contains=[query.pk]).values_list(
                "pk", flat=True
            )
        )
        assert len(filed) == rematch.matched

        # Lower bound: the same rows read in the same batches, each text tokenised once.
        started = time.perf_counter()
        last_id, read = 0, 0
        while True:
            batch = list(
                Mention.objects.filter(client_id=client.pk, pk__gt=last_id)
                .order_by("pk")
                .values_list("pk", "text")[: args.batch_size]
            )
            if not batch:
                break
            for _, text in batch:
                tokenize_text(text)
            read += len(batch)
            last_id = batch[-1][0]
        bound_seconds = time.perf_counter() - started
        assert read == args.mentions

    rate = args.mentions / rematch_seconds
    bound_rate = args.mentions / bound_seconds
    print(
        f"mentions: {args.mentions:,}  platforms: {len(PLATFORMS)}  "
        f"languages: {len(LANGUAGE_WEIGHTS)}  batch size: {args.batch_size:,}"
    )
    print(f"COPY of the mentions (set-up):                    {copy_seconds:6.2f} s")
    print(f"first match, {BEFORE!r}: {first.matched:,} mentions")
    print(f"edited to {AFTER!r}")
    print(
        f"  now matching: {rematch.matched:,} mentions; rows updated: "
        f"{len(filed - filed_before):,} added, {len(filed_before - filed):,} removed"
    )
    print(
        f"query_update + query_rematch_run (end to end):    {rematch_seconds:6.2f} s"
        f"  {rate:10,.0f} mentions/s"
    )
    print(
        f"lower bound, read (id, text) + tokenise the same: {bound_seconds:6.2f} s"
        f"  {bound_rate:10,.0f} mentions/s"
    )
    print(f"ratio re-match / lower bound: {rematch_seconds / bound_seconds:.2f}x the time")


if __name__ == "__main__":
    main()

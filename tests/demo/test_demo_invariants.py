"""The demo holds the product's own promises on ``seed_demo``'s data: Open holds only people who
need an answer, and the brands' and competitors' accounts are nobody's customer, advocate or
top influencer."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.clients.models import Client
from apps.listening.models import Author, Mention
from apps.reporting.selectors import client_report


def test_the_demo_holds_its_own_invariants(db, fake_platforms):
    call_command("seed_demo", platforms_url=fake_platforms, stdout=StringIO(), stderr=StringIO())
    with schema_context("demo"):
        accounts = Author.objects.exclude(account_role="")
        # The brands answer from their own accounts on every platform, and are recognised there.
        for platform, handle, role in [
            ("youtube", "northwindcoffee", "brand"),
            ("reddit", "lumenbikesofficial", "brand"),
            ("bluesky", "lumenbikes.bsky.social", "brand"),
            ("youtube", "harborbank", "brand"),
            ("rss", "lumen bikes", "brand"),
            ("bluesky", "brewhaus.bsky.social", "competitor"),
        ]:
            author = Author.objects.get(platform=platform, handle=handle)
            assert author.account_role == role, (platform, handle)
            assert not author.mentions.filter(needs_acknowledgement=True).exists()

        # Open: nobody's own account, no spam, no repeats.
        open_queue = Mention.objects.open()
        assert open_queue.exists()
        assert not open_queue.filter(author__in=accounts).exists()
        assert not open_queue.filter(is_spam=True).exists()
        assert not open_queue.filter(is_duplicate=True).exists()
        assert not open_queue.filter(text__startswith="Sorry about this").exists()
        spam = Mention.objects.filter(text__contains="real followers in 24h")
        assert spam.exists() and not spam.filter(is_spam=False).exists()

        # Accounts are no customers, no advocates, never ranked.
        assert not Mention.objects.filter(author__in=accounts, customer__isnull=False).exists()
        assert not accounts.filter(is_advocate=True).exists()
        today = timezone.localdate()
        for client in Client.objects.all():
            report = client_report(client=client, since=today - timedelta(days=89), until=today)
            ranked = {row["id"] for row in report["top_authors"]}
            assert ranked and not ranked & set(accounts.values_list("pk", flat=True))

        # Influence from the first fetch: whoever has followers has a score.
        assert not Author.objects.filter(followers__gt=0, influence__lte=0).exists()

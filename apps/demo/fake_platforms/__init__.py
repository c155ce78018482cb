"""A local stand-in for the social platforms, so the demo agency fetches (and replies) for real.

One WSGI app serves, under per-platform prefixes, the documented APIs the connectors in
``apps.channels.connectors`` call: RSS/Atom feeds, Mastodon, Bluesky, Reddit, YouTube Data API v3
and the Graph API (Facebook Pages, Instagram). Conversations about the demo brands are synthesised
from ``SEED`` and the clock: 90 days of history and new posts and replies every few minutes, the
same id always carrying the same words. ``demo_channels`` lists the channels pointing at it;
``manage.py serve_fake_platforms`` runs it.

One module per concern: ``world`` (brands, streams, people, conversations; the tables are JSON in
``apps/demo/data/``), ``ids``, ``http``, one handler class per platform (``rss``, ``mastodon``,
``bluesky``, ``reddit``, ``youtube``, ``graph``), ``app`` (routes, server) and ``channels``.
"""

from .app import ROUTES, FakePlatforms, ThreadingWSGIServer, make_fake_server
from .channels import brand_accounts, demo_channels
from .ids import credential
from .world import BRANDS, PEOPLE, SEED, SLOT_MS, STREAMS, Brand, Item, Person, Stream, conversation

__all__ = [
    "BRANDS", "PEOPLE", "ROUTES", "SEED", "SLOT_MS", "STREAMS", "Brand", "FakePlatforms", "Item",
    "Person", "Stream", "ThreadingWSGIServer", "brand_accounts", "conversation", "credential",
    "demo_channels", "make_fake_server",
]  # fmt: skip

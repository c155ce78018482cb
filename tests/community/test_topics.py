"""What unites a client's customers: topics of key phrases, with volume, sentiment and trend."""

from __future__ import annotations

from apps.community.phrases import ALL_STOP_WORDS
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory
from tests.community.conftest import said

TEXTS = [
    ("The brake squeal on my Lumen City is driving me mad.", 0),
    ("Rear brake squeal again after the service, awful.", 60),
    ("Any fix for the brake squeal? It is so loud.", 120),
    ("Battery range dropped to 20 km in the cold.", 180),
    ("Battery range is great, 90 km on one charge!", 240),
    ("Lovely weather for a ride today.", 300),
]


def test_topics_group_key_phrases_with_volume_sentiment_and_trend(in_agency_a, api):
    client = ClientFactory(name="Lumen Bikes", brand_handles=["lumen"])
    channel = make_channel(platform="webhook", config={}, client=client)
    store_mentions(channel, [said(f"t{n}", f"rider{n}", text, minutes)
                             for n, (text, minutes) in enumerate(TEXTS)])  # fmt: skip
    # The previous period (October) spoke of the brakes once.
    store_mentions(channel, [said("old", "rider0", "Brake squeal, again.", -40_000)])
    body = api.get(f"/api/v1/clients/{client.pk}/community/?since=2026-11-01&until=2026-11-30")
    topics = {t["label"]: t for t in body.json()["topics"]}
    assert set(topics) == {"brake squeal", "battery range"}
    brakes = topics["brake squeal"]
    assert brakes["volume"] == 3 and brakes["previous_volume"] == 1
    assert brakes["trend"] == "rising" and brakes["sentiment"] < 0
    assert brakes["phrases"][0] == "brake squeal" and "rear brake" in brakes["phrases"]
    assert len(brakes["mention_ids"]) == 3 and len(brakes["people"]) == 3
    assert topics["battery range"]["trend"] == "new"
    for topic in topics.values():
        for phrase in topic["phrases"]:
            assert not set(phrase.split()) & ALL_STOP_WORDS, phrase
            assert "lumen" not in phrase  # the client's own name is no topic


def test_topics_count_mentions_as_they_arrive(in_agency_a, api):
    client = ClientFactory(name="Lumen Bikes", brand_handles=["lumen"])
    channel = make_channel(platform="webhook", config={}, client=client)
    store_mentions(channel, [said(f"t{n}", f"rider{n}", text, minutes)
                             for n, (text, minutes) in enumerate(TEXTS)])  # fmt: skip
    url = f"/api/v1/clients/{client.pk}/community/?since=2026-11-01&until=2026-11-30"

    def brakes():
        return {t["label"]: t["volume"] for t in api.get(url).json()["topics"]}["brake squeal"]

    assert brakes() == 3
    store_mentions(channel, [said("more", "rider9", "That brake squeal again.", 500)])
    assert brakes() == 4  # not the figure of five minutes ago

"""Key phrases, stop words and what asks or answers: the pure text rules, table by table."""

from __future__ import annotations

import pytest

from apps.community.phrases import (
    ALL_STOP_WORDS,
    STOP_WORDS,
    asks_for_help,
    brand_words,
    is_answer,
    key_phrases,
)


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("The brake squeal on my Lumen City is back", {"brake squeal", "lumen city"}),
        ("My rear brake squeal again!! #lumen @lumenbikes", {"rear brake", "brake squeal"}),
        ("Cold brew, oat milk and a flat white", {"cold brew", "oat milk", "flat white"}),
        ("It is what it is and that is that", set()),
        ("Llevo tres días sin respuesta del servicio técnico", {"servicio técnico"}),
        ("Toujours aucune réponse du service client", {"service client"}),
        ("Seit Tagen keine Antwort vom Kundenservice", set()),
        ("Order 12345 arrived at https://x.example/track today", set()),
        ("battery battery battery", set()),
    ],
)
def test_key_phrases_are_bigrams_of_content_words(text, phrases):
    assert key_phrases(text) == phrases


def test_the_clients_own_name_makes_no_phrase():
    exclude = brand_words("Lumen Bikes", "lumenbikes")
    assert key_phrases("Lumen Bikes rear brake squeal", exclude=exclude) == {
        "rear brake", "brake squeal",
    }  # fmt: skip


def test_every_supported_language_has_its_stop_words():
    assert set(STOP_WORDS) == {"en", "es", "fr", "de", "pt", "it", "nl"}
    assert {"the", "que", "les", "und", "não", "della", "het"} <= ALL_STOP_WORDS


@pytest.mark.parametrize(
    ("text", "sentiment", "asks"),
    [
        ("How do I stop the brake squeal?", "neutral", True),
        ("¿Sabéis si hay tienda en Madrid?", "neutral", True),
        ("My battery died after two weeks.", "negative", True),
        ("Loving the new frame.", "positive", False),
    ],
)
def test_what_asks_for_help(text, sentiment, asks):
    assert asks_for_help(text=text, sentiment=sentiment) is asks


@pytest.mark.parametrize(
    ("text", "sentiment", "answers"),
    [
        ("Clean the pads with alcohol and bed them in again.", "neutral", True),
        ("The firmware update fixed that for me, worth trying.", "positive", True),
        ("Same here, I would like to know too.", "neutral", False),
        ("+1, this keeps happening.", "neutral", False),
        ("Did you try turning it off?", "neutral", False),
        ("Terrible shop, avoid it.", "negative", False),
        ("Thanks!", "positive", False),
    ],
)
def test_what_answers(text, sentiment, answers):
    assert is_answer(text=text, sentiment=sentiment) is answers

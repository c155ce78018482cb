"""The synthetic world the stand-in serves: the demo brands, the streams of conversation about
them and the people who talk, and ``conversation``, which makes each conversation from ``SEED``
and its time slot. The brands, streams, phrases and names are data, in ``apps/demo/data/``
(``streams.json`` is append only: a stream's position is part of its items' ids)."""

from __future__ import annotations

import functools
import json
import random
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = "rapport-demo-1"
MINUTE_MS = 60_000
SLOT_MS = 10 * MINUTE_MS  # each stream may start one conversation per ten-minute slot
HISTORY_MS = 90 * 1440 * MINUTE_MS
FEED_SIZE = 30  # entries in an RSS/Atom document
MASTODON_HOST = "social.example"
# Relative activity by UTC hour (10 = average): quiet nights, busy lunchtimes and evenings.
CURVE = (3, 2, 2, 2, 3, 4, 6, 9, 11, 12, 12, 13, 14, 13, 12, 12, 13, 14, 15, 15, 13, 10, 7, 5)


@dataclass(frozen=True)
class Brand:
    """A demo client (or competitor) and what people talk to it about."""

    slug: str
    name: str
    handle: str
    competitor: bool
    products: tuple[str, ...]
    places: tuple[str, ...]
    issues: tuple[str, ...]
    delights: tuple[str, ...]
    questions: tuple[tuple[str, str], ...]  # (what customers ask, what the brand answers)
    news: tuple[str, ...]


@dataclass(frozen=True)
class Stream:
    """One source of conversations, addressed on its platform by ``mode`` and ``key``."""

    brand: str
    platform: str
    mode: str  # feed, mentions, hashtag, search, actor, subreddit, channel, video, page, ig
    key: str
    name: str  # the demo channel's name
    every: int  # mean minutes between new conversations
    replies: tuple[int, int] = (0, 3)
    spread: int = 180  # minutes over which a conversation's replies arrive
    brand_share: float = 0.0  # chance the brand's own account opens a conversation
    depth: int = 3  # replies answer 1: the opener; 2: the opener or top-level replies; 3: anything
    review: bool = False  # openers are rated reviews
    videos: tuple[str, ...] = ()


DATA = Path(__file__).resolve().parent.parent / "data"


def _tuples(value: Any) -> Any:
    """JSON lists as the tuples the tables hold (hashable, immutable)."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


def _load(name: str) -> Any:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


# fmt: off
BRANDS: dict[str, Brand] = {
    b["slug"]: Brand(**_tuples(b)) for b in _load("brands")
}
STREAMS: tuple[Stream, ...] = tuple(Stream(**_tuples(s)) for s in _load("streams"))

# Templates by key: customers' openers, follow-ups (about the parent's clause), brand replies.
_PHRASES = _load("phrases")
ENGLISH: dict[str, tuple[str, ...]] = _tuples(_PHRASES["english"])
FOREIGN: dict[str, dict[str, str]] = _PHRASES["foreign"]
TITLES: dict[str | int, tuple[str, ...]] = {  # by mood, or by a review's rating
    int(key) if key.isdigit() else key: titles
    for key, titles in _tuples(_PHRASES["titles"]).items()
}
FOREIGN_KEY = {"curious": "follow", "me_too": "follow", "agree": "follow", "mixed": "complaint",
               "peer_answer": "follow", "answer": "reply", "apology": "reply", "gratitude": "reply"}
ANSWERS = {"question": "answer", "complaint": "apology", "praise": "gratitude"}  # brand's reply
FOLLOW_UPS = {"question": "curious", "complaint": "me_too", "praise": "agree", "brand": "thanks"}
MOODS = {"curious": "question", "me_too": "complaint", "agree": "praise", "mixed": "complaint",
         "answer": "brand", "apology": "brand", "gratitude": "brand", "thanks": "chat",
         "peer_answer": "chat"}
_NAMES = _load("names")
FIRST_NAMES: dict[str, tuple[str, ...]] = _tuples(_NAMES["first_names"])
LAST_NAMES: dict[str, tuple[str, ...]] = _tuples(_NAMES["last_names"])
INSTANCES: tuple[str, ...] = _tuples(_NAMES["instances"])  # Mastodon servers
# fmt: on


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    lang: str
    user: str  # letters, digits and "_"; each platform adapts it to its own handle rules
    uid: int
    instance: str  # their Mastodon server

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def _people() -> tuple[Person, ...]:
    rng, people, users = random.Random(f"{SEED}|people"), [], set()
    for lang, count in (("en", 48), ("es", 8), ("fr", 8), ("de", 8)):
        while sum(p.lang == lang for p in people) < count:
            first, last = rng.choice(FIRST_NAMES[lang]), rng.choice(LAST_NAMES[lang])
            user = unicodedata.normalize("NFKD", first + rng.choice(("", "_")) + last)
            user = user.encode("ascii", "ignore").decode().lower()
            user += str(rng.randrange(10, 99)) if user in users or rng.random() < 0.3 else ""
            if user not in users:
                users.add(user)
                uid, instance = rng.randrange(10**17, 10**18), rng.choice(INSTANCES)
                people.append(Person(first, last, lang, user, uid, instance))
    return tuple(people)


PEOPLE = _people()


@dataclass(frozen=True)
class Item:
    """A post, comment, reply or review. ``code`` = ms << 16 | stream << 6 | index in thread."""

    code: int
    ms: int
    stream: int
    topic: int  # code of the conversation's opener
    parent: int  # code of the item answered; 0 for an opener
    author: Person | None  # None: the brand's own account
    mood: str  # question | complaint | praise | spam | news | brand | chat
    clause: int  # which of the brand's issues/delights/questions/news it is about
    text: str
    title: str = ""
    lang: str = "en"
    rating: int | None = None
    likes: int = 0


@functools.lru_cache(maxsize=200_000)
def conversation(seed: str, stream_no: int, slot: int) -> tuple[Item, ...]:
    """The conversation (opener, then replies by time) starting in ``slot``, or ``()``."""
    stream, start = STREAMS[stream_no], slot * SLOT_MS
    rng = random.Random(f"{seed}|{stream_no}|{stream.key}|{slot}")
    chance = SLOT_MS / MINUTE_MS / stream.every * CURVE[start // 3_600_000 % 24] / 10
    if rng.random() >= min(0.95, chance):
        return ()
    brand = BRANDS[stream.brand]
    ms = start + rng.randrange(SLOT_MS // 1000) * 1000 + slot % 1000  # no two share ms and index
    author = None if rng.random() < stream.brand_share else rng.choice(PEOPLE)
    opener = _say(rng, brand, stream_no, ms, 0, author, None, stream.review)
    items = [opener]
    count = 0 if opener.mood == "spam" else rng.randint(*stream.replies)
    delays = sorted(60 + int(rng.random() ** 2 * stream.spread * 60) for _ in range(count))
    for index, delay in enumerate(delays, 1):
        candidates = [
            item
            for item in items[1:]
            if item.mood not in ("spam", "chat")
            and (stream.depth == 3 or (stream.depth == 2 and item.parent == opener.code))
        ]
        parent = rng.choice(candidates) if candidates and rng.random() < 0.5 else opener
        answer = parent.author is not None and parent.mood in ANSWERS and rng.random() < 0.45
        author = None if answer else rng.choice(PEOPLE)
        items.append(_say(rng, brand, stream_no, ms + delay * 1000, index, author, parent))
    return tuple(items)


def _say(
    rng: random.Random,
    brand: Brand,
    stream_no: int,
    ms: int,
    index: int,
    author: Person | None,
    parent: Item | None,
    review: bool = False,
) -> Item:
    """One item: its mood follows from its parent's, its words from the brand's vocabulary."""
    rating, clause = None, rng.randrange(1000)
    if author is None:
        key = "news" if parent is None else ANSWERS[parent.mood]
    elif parent is None or parent.mood == "news":
        key = "review" if review else rng.choices((*ANSWERS, "spam"), (5, 6, 5, 1))[0]
    else:
        key = FOLLOW_UPS[parent.mood]
        if key == "curious" and index % 2:  # customers answer each other, too
            key = "peer_answer"
    if parent is not None and parent.mood != "news":
        clause = parent.clause
    if key == "review":
        rating = rng.choices((5, 4, 3, 2, 1), (35, 25, 12, 12, 16))[0]
        key = "praise" if rating >= 4 else "complaint" if rating <= 2 else "mixed"
    lang = parent.lang if author is None and parent else "en"
    if author and author.lang != "en" and key != "spam" and rng.random() < 0.7:
        lang = author.lang
    place = rng.choice(brand.places)
    words = {
        "brand": brand.name,
        "product": rng.choice(brand.products),
        "place": place if lang == "en" else place.removeprefix("the "),
        "first": parent.author.first if parent and parent.author else "",
    }
    pools = {"issue": brand.issues, "delight": brand.delights, "news": brand.news}
    pools |= {
        "question": [q for q, _ in brand.questions],
        "answer": [a for _, a in brand.questions],
    }
    words |= {name: pool[clause % len(pool)].format(**words) for name, pool in pools.items()}
    if key == "news":
        text = words["news"]
    elif lang == "en":
        text = rng.choice(ENGLISH[key]).format(**words)
    else:
        text = FOREIGN[lang][FOREIGN_KEY.get(key, key)].format(**words)
    mood, title = MOODS.get(key, key), ""
    if parent is None:
        title = rng.choice(TITLES[rating or mood]).format(**words)
        title = title if lang == "en" else re.split(r"[.:!?¿¡]", text)[0][:60] or title
    likes = 0 if key == "spam" else int(rng.expovariate(1 / (40 if key == "news" else 4)))
    code = ms << 16 | stream_no << 6 | index
    topic, parent_code = (parent.topic, parent.code) if parent else (code, 0)
    text = text[0].upper() + text[1:]
    return Item(
        code=code,
        ms=ms,
        stream=stream_no,
        topic=topic,
        parent=parent_code,
        author=author,
        mood=mood,
        clause=clause,
        text=text,
        title=title,
        lang=lang,
        rating=rating,
        likes=likes,
    )

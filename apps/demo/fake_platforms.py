"""A local stand-in for the social platforms, so the demo agency fetches (and replies) for real.

One WSGI app serves, under per-platform prefixes, the documented APIs the connectors in
``apps.channels.connectors`` call: RSS/Atom feeds, Mastodon, Bluesky, Reddit, YouTube Data API v3
and the Graph API (Facebook Pages, Instagram). Conversations about the demo brands are synthesised
from ``SEED`` and the clock: 90 days of history and new posts and replies every few minutes, the
same id always carrying the same words. ``demo_channels`` lists the channels pointing at it;
``manage.py serve_fake_platforms`` runs it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import heapq
import json
import random
import re
import socketserver
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from xml.sax.saxutils import escape

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


# fmt: off
BRANDS: dict[str, Brand] = {b.slug: b for b in (
    Brand("northwind-coffee", "Northwind Coffee", "northwind", False,
          ("house espresso blend", "Ethiopia Guji filter roast", "oat flat white",
           "cold brew cans", "bean subscription"),
          ("the Market Street café", "the Riverside café", "the station kiosk"),
          ("my subscription bag turned up four days late", "the oat milk had run out by 9am again",
           "I was charged twice for one {product}", "the queue at {place} took 25 minutes",
           "the app keeps losing my loyalty stamps"),
          ("the barista at {place} remembered my order after one visit",
           "the {product} is the best I've had in years",
           "they replaced my broken grinder burr for free"),
          (("is the {product} available as decaf", "our Swiss Water decaf is in every café"),
           ("do you ship beans to Ireland", "we ship across the EU and the UK in 3-5 days"),
           ("can I pause my subscription while I'm away", "yes, in Account > Subscription, "
            "for up to 8 weeks"),
           ("what time does {place} open on Sundays", "on Sundays we open 8:00-16:00")),
          ("Winter blend is back: dark chocolate, orange peel, long finish. In all cafés Monday.",
           "The Riverside café opens Saturday, with free filter coffee until noon!",
           "Roast day: this week's single origin is a washed Colombia with red apple notes.")),
    Brand("lumen-bikes", "Lumen Bikes", "lumenbikes", False,
          ("Commuter 3", "Trail 2", "Cargo S", "500Wh battery", "Lumen app"),
          ("the Berlin showroom", "the Amsterdam service centre", "a partner dealer"),
          ("my battery drops 20% overnight while parked",
           "the app won't pair with my bike since the last update",
           "I've waited six weeks for a replacement charger",
           "the rear brake squeals after every rainy ride", "the motor cuts out on steep hills"),
          ("the {product} made my 12 km commute actually fun",
           "the team at {place} fixed my derailleur in 20 minutes",
           "three winters in and my {product} still runs like new"),
          (("does the {product} take a child seat", "the Commuter 3 and Cargo S take rack-mounted "
            "child seats up to 22 kg"),
           ("how long does the battery take to charge", "about 4.5 hours from empty"),
           ("can I book a test ride at {place}", "of course, book a 30-minute ride on our site"),
           ("does the warranty cover the battery", "yes, for 3 years or 800 full cycles")),
          ("Meet the Commuter 3: lighter frame, 90 km range. Pre-orders open Friday.",
           "Firmware 4.2 rolls out today with better range estimates and smoother assist.",
           "Winter tip: keep your battery indoors overnight and check tyre pressure weekly.")),
    Brand("harbor-bank", "Harbor Bank", "harborbank", False,
          ("mobile app", "easy saver account", "first-home mortgage", "debit card"),
          ("the Dock Street branch", "the Old Town branch", "the phone line"),
          ("my card was declined twice at the supermarket with money in the account",
           "the app logs me out every time I switch screens", "I've been on hold for 40 minutes",
           "a transfer from Friday still hasn't arrived",
           "I got a text asking for my PIN - is that really you?"),
          ("the team at {place} helped my dad set up online banking with real patience",
           "they refunded a scam payment within a day", "opening the {product} took ten minutes"),
          (("what's the rate on the {product}", "the easy saver pays 3.1% AER variable"),
           ("can I pay in cheques with the app", "yes: Pay in > Cheque, then photograph both "
            "sides"),
           ("is {place} open on Saturday mornings", "both branches open Saturdays 9:00-12:30"),
           ("how do I freeze my card", "tap the card in the app, then Freeze")),
          ("We will never ask for your PIN or a passcode by text. If in doubt, call us.",
           "The app now shows your upcoming bills a week ahead.",
           "Free money clinics every Thursday evening at Dock Street. All welcome.")),
    Brand("brewhaus", "Brewhaus", "brewhaus", True,
          ("signature latte", "nitro cold brew", "Brewhaus pods", "pumpkin spice latte"),
          ("the Central Station store", "the mall store", "the drive-through"),
          ("my latte was lukewarm again", "the pods don't fit my machine",
           "the drive-through got my order wrong twice"),
          ("the {product} is back and it's great", "service at {place} was super quick"),
          (("are the pods compostable", "our new pods are industrially compostable"),
           ("when is the {product} back", "it returns on 1 October")),
          ("Pumpkin season is here: the pumpkin spice latte is back in every store.",
           "Double loyalty points every Tuesday this month.")),
    Brand("voltcycle", "VoltCycle", "voltcycle", True,
          ("VC City", "VC Fold", "VC Cargo", "range extender"),
          ("the Hamburg store", "a VoltCycle dealer", "the online store"),
          ("my VC Fold's hinge creaks", "the range extender arrived dead",
           "support never answers", "the display froze mid-ride"),
          ("the VC Fold fits under my desk", "the {product} is great value for the price"),
          (("is the VC Fold allowed on trains", "folded, it counts as luggage on most trains"),
           ("how heavy is the {product}", "the VC City weighs 21 kg with battery")),
          ("The VC Fold is 15% off this weekend only.", "The VC City now comes in sage green.")),
)}

# Templates by key: customers' openers, follow-ups (about the parent's clause), brand replies.
ENGLISH = {
    "question": ("Hey {brand}, {question}?", "Quick question for {brand}: {question}?",
                 "Question for {brand} fans: {question}?"),
    "complaint": ("Hey {brand}, {issue}. Can someone help?",
                  "{issue}. Not what I expect from {brand}.",
                  "Really frustrated with {brand}: {issue} and nobody answers my emails."),
    "praise": ("Shout-out to {brand}: {delight}.", "{delight}. {brand} never disappoints!",
               "Small thing, but {delight}. Thanks {brand}!"),
    "mixed": ("{delight}, but {issue}.",),
    "spam": ("Get 10,000 real followers in 24h!! DM me, {brand} fans -> grow-fast.example",
             "{brand} GIVEAWAY: claim your free gift card at win-prizes.example before midnight"),
    "curious": ("Following, I'd like to know too.", "Wondering the same: {question}?"),
    "peer_answer": ("{first}, {answer}. That is how it went for me.",
                    "Not staff, but {first}: {answer}. Hope that helps!"),
    "me_too": ("Same here, {issue}.", "Had exactly the same problem last week.",
               "+1, this keeps happening."),
    "agree": ("Agreed, {delight}.", "Can't wait to try the {product}!", "Is this at {place} too?"),
    "thanks": ("Thanks, DM sent.", "Sorted now, thank you!", "Still waiting to hear back, two "
               "days later...", "That was quick, appreciate it."),
    "answer": ("Hi {first}, {answer}.", "Good question, {first}: {answer}."),
    "apology": ("Sorry about this, {first}. Could you DM us your details so we can sort it today?",
                "Thanks for flagging, {first}. We've passed this on and will follow up by DM."),
    "gratitude": ("Thank you, {first}! We'll pass that on to the team.",
                  "This made our day, {first}. See you soon!"),
}
FOREIGN = {
    "es": {"question": "¿Sabéis si el {product} está disponible en {place}? Gracias, {brand}.",
           "complaint": "Muy decepcionado con {brand}: llevo tres días sin respuesta.",
           "praise": "¡Me encanta el {product}! Gracias {brand} por el trato.",
           "follow": "Me pasa lo mismo.", "thanks": "¡Gracias por la respuesta rápida!",
           "reply": "¡Gracias por escribirnos, {first}! Te respondemos por mensaje privado."},
    "fr": {"question": "Est-ce que le {product} est disponible à {place} ? Merci {brand} !",
           "complaint": "Franchement déçu par {brand}, toujours aucune réponse du service client.",
           "praise": "Accueil parfait à {place}, et le {product} est excellent. Merci {brand} !",
           "follow": "Pareil pour moi.", "thanks": "Merci pour la réponse rapide !",
           "reply": "Merci pour votre message, {first} ! Nous vous écrivons en privé."},
    "de": {"question": "Gibt es den {product} auch bei {place}? Danke, {brand}!",
           "complaint": "Schon wieder Ärger mit {brand}, seit Tagen keine Antwort.",
           "praise": "Top Service bei {place}, der {product} ist klasse. Danke {brand}!",
           "follow": "Geht mir genauso.", "thanks": "Danke für die schnelle Antwort!",
           "reply": "Danke für deine Nachricht, {first}! Wir melden uns per DM."},
}
FOREIGN_KEY = {"curious": "follow", "me_too": "follow", "agree": "follow", "mixed": "complaint",
               "peer_answer": "follow", "answer": "reply", "apology": "reply", "gratitude": "reply"}
TITLES = {
    "question": ("Question about the {product}", "{brand} question"),
    "complaint": ("Problem with {brand}", "Issue with my {product}"),
    "praise": ("Props to {brand}", "Loving the {product}"), "spam": ("FREE gift cards!!!",),
    "news": ("{brand} update",), 5: ("Wouldn't go anywhere else", "Excellent"),
    4: ("Very good", "Solid, would recommend"), 3: ("Mixed experience",),
    2: ("Disappointing",), 1: ("Avoid", "Never again"),
}
ANSWERS = {"question": "answer", "complaint": "apology", "praise": "gratitude"}  # brand's reply
FOLLOW_UPS = {"question": "curious", "complaint": "me_too", "praise": "agree", "brand": "thanks"}
MOODS = {"curious": "question", "me_too": "complaint", "agree": "praise", "mixed": "complaint",
         "answer": "brand", "apology": "brand", "gratitude": "brand", "thanks": "chat",
         "peer_answer": "chat"}
FIRST_NAMES = {"en": ("Joe", "Maya", "Priya", "Sam", "Olivia", "Ben", "Aisha", "Tom", "Grace",
                      "Leo", "Hannah", "Noah", "Ruth", "Dev", "Chloe", "Marcus"),
               "es": ("Lucía", "Mateo", "Carmen", "Javier"), "fr": ("Camille", "Hugo", "Léa"),
               "de": ("Jonas", "Lena", "Felix", "Anke")}
LAST_NAMES = {"en": ("Parker", "Okafor", "Shah", "Reed", "Nguyen", "Hart", "Bell", "Kowalski"),
              "es": ("García", "Ruiz", "Navarro"), "fr": ("Martin", "Lefèvre", "Dubois"),
              "de": ("Becker", "Schulz", "Wagner")}
INSTANCES = ("mastodon.example", "toot.example", "fosstodon.example", MASTODON_HOST)

STREAMS: tuple[Stream, ...] = (  # append only: a stream's position is part of its items' ids
    Stream("northwind-coffee", "rss", "feed", "northwind-coffee", "Northwind reviews (TrustBrew)",
           every=150, replies=(0, 0), review=True),
    Stream("northwind-coffee", "mastodon", "mentions", "northwind", "Mastodon @northwind",
           every=25),
    Stream("northwind-coffee", "instagram", "ig", "17841400000000101",
           "Instagram @northwind.coffee", every=480, replies=(4, 16), spread=2880,
           brand_share=1.0, depth=2),
    Stream("northwind-coffee", "youtube", "channel", "UCnorthwindcoffee0000001",
           "YouTube: Northwind Coffee", every=50, replies=(0, 4), spread=240, depth=1,
           videos=("nWbrewV60a1", "nWlatteArt2", "nWcoldBrew3")),
    Stream("lumen-bikes", "rss", "feed", "lumen-bikes", "Lumen owners forum", every=60,
           replies=(0, 5), spread=720),
    Stream("lumen-bikes", "reddit", "subreddit", "ebikes", "r/ebikes", every=40, replies=(1, 6),
           spread=480),
    Stream("lumen-bikes", "bluesky", "search", "lumen bikes", "Bluesky search: Lumen Bikes",
           every=25),
    Stream("lumen-bikes", "facebook_page", "page", "104882391112233", "Facebook: Lumen Bikes",
           every=360, replies=(2, 12), spread=2880, brand_share=0.7, depth=2),
    Stream("harbor-bank", "rss", "feed", "harbor-bank", "Harbor Bank reviews", every=180,
           replies=(0, 0), review=True),
    Stream("harbor-bank", "mastodon", "search", "harbor bank", "Mastodon search: Harbor Bank",
           every=30),
    Stream("harbor-bank", "facebook_page", "page", "100200300400500", "Facebook: Harbor Bank",
           every=420, replies=(2, 10), spread=2880, brand_share=0.6, depth=2),
    Stream("harbor-bank", "youtube", "video", "hbAppTour01", "YouTube: Harbor Bank app tour",
           every=120, replies=(0, 3), spread=240, depth=1, videos=("hbAppTour01",)),
    Stream("brewhaus", "mastodon", "hashtag", "brewhaus", "Mastodon #brewhaus", every=30,
           brand_share=0.15),
    Stream("brewhaus", "bluesky", "actor", "brewhaus.bsky.social", "Bluesky @brewhaus", every=30,
           brand_share=0.5),
    Stream("voltcycle", "reddit", "search", "voltcycle", "Reddit search: VoltCycle", every=50,
           replies=(0, 5), spread=480),
)
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


# -- ids, cursors, times, voices ----------------------------------------------------------------

Key = tuple[int, int]  # (ordering time in ms, code): how every listing sorts and pages
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def _digits(text: str, digits: int = 18) -> str:
    """A stable decimal id derived from ``text``."""
    number = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    return str(10 ** (digits - 1) + number % (9 * 10 ** (digits - 1)))


def _b32(text: str, length: int) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode().lower()[:length]


def _tid(code: int) -> str:
    """A Bluesky record key: base32-sortable, 13 characters."""
    return "".join(TID_ALPHABET[(code >> (5 * i)) & 31] for i in range(12, -1, -1))


def _untid(uri: str) -> int | None:
    rkey = uri.rsplit("/", 1)[-1]
    if not re.fullmatch(f"[{TID_ALPHABET}]{{13}}", rkey):
        return None
    return functools.reduce(lambda number, ch: number << 5 | TID_ALPHABET.index(ch), rkey, 0)


def _b36(number: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
    return digits or "0"


def _code(text: str | None, base: int = 10) -> int | None:
    """The item code ending an id (``t1_…``, ``page_post``, ``thread.reply``), if any."""
    try:
        return int(re.split(r"[_.]", text)[-1], base) if text else None
    except ValueError:
        return None


def _key(code: int | None) -> Key | None:
    return (code >> 16, code) if code else None


def _token(key: Key) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode().rstrip("=")


def _untoken(token: str | None) -> Key | None:
    try:
        ms, code = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(":")
        return int(ms), int(code)
    except (TypeError, ValueError, UnicodeDecodeError):
        return None


def _at(ms: int, style: str = "iso") -> str:
    """A timestamp the way each API writes it: ``iso`` (ms, Z), ``seconds`` (Z) or ``graph``."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    if style == "graph":
        return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")
    fraction = f".{ms % 1000:03d}" if style == "iso" else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def credential(platform: str, slug: str) -> str:
    """The fake token (API key, app password) of the demo channel of ``slug`` on ``platform``."""
    return f"demo.{platform}.{slug}"


def _token_brand(token: str | None) -> Brand | None:
    match = re.fullmatch(r"demo\.[\w-]+\.([a-z-]+)", token or "")
    return BRANDS.get(match.group(1)) if match else None


def _handle(item: Item, platform: str) -> str:
    """The author's handle as ``platform`` shows it (the brand's own account included)."""
    brand, person = BRANDS[STREAMS[item.stream].brand], item.author
    if person is None:
        official = brand.name.replace(" ", "")
        handles = {"youtube": "@" + official, "reddit": official + "Official"}
        handles |= {"instagram": brand.slug.replace("-", "."), "bluesky": brand.handle}
        user = handles.get(platform, brand.handle)
    else:
        handles = {"youtube": "@" + person.user, "instagram": person.user.replace("_", ".")}
        user = handles.get(
            platform, person.user.replace("_", "-" if platform == "bluesky" else "_")
        )
    return f"{user}.bsky.social" if platform == "bluesky" else user


def _uid(item: Item) -> str:
    """The author's numeric account id."""
    return str(item.author.uid) if item.author else _digits(STREAMS[item.stream].brand)


def _name(item: Item) -> str:
    return item.author.name if item.author else BRANDS[STREAMS[item.stream].brand].name


def _did(handle: str) -> str:
    return f"did:plc:{_b32(handle, 24)}"


def _video(item: Item) -> str:
    videos = STREAMS[item.stream].videos
    return videos[(item.topic >> 16) // 1000 % len(videos)] if videos else ""


def _stream(platform: str, mode: str, key: str | None) -> Stream | None:
    return next((s for s in STREAMS if (s.platform, s.mode, s.key) == (platform, mode, key)), None)


def _search_stream(platform: str, query: str | None) -> Stream | None:
    """The search stream whose words all appear in ``query`` (any case)."""
    words = set(re.findall(r"\w+", (query or "").lower()))
    streams = (s for s in STREAMS if s.platform == platform and s.mode == "search")
    return next((s for s in streams if set(s.key.split()) <= words), None)


# -- HTTP plumbing ------------------------------------------------------------------------------

Answer = tuple[int, dict[str, str], bytes]
RowsOf = Callable[[tuple[Item, ...]], Iterable[tuple[Key, Any]]]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    root: str  # scheme://host:port

    def arg(self, name: str) -> str | None:
        return self.query.get(name, [None])[0]

    def limit(self, name: str, default: int, maximum: int) -> int:
        value = self.arg(name) or ""
        return max(1, min(int(value), maximum)) if value.isdigit() else default

    def data(self) -> dict[str, Any]:
        """The JSON or url-encoded form body."""
        if "json" not in self.headers.get("content-type", ""):
            return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}
        try:
            body = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    @property
    def bearer(self) -> str:
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""

    def url(self, **params: Any) -> str:
        """This request's URL with ``params`` replaced (a None value drops the parameter)."""
        query = {k: v for k, v in self.query.items() if k not in params}
        query |= {k: [str(v)] for k, v in params.items() if v is not None}
        return f"{self.root}{self.path}?{urlencode(query, doseq=True)}"


def _attr(text: str) -> str:
    """``text`` escaped for an HTML attribute value or element."""
    return escape(text, {'"': "&quot;"})


def _json(body: Any, status: int = 200, **headers: str) -> Answer:
    content = json.dumps(body, ensure_ascii=False).encode()
    return status, {"Content-Type": "application/json; charset=utf-8", **headers}, content


def _graph_error(message: str, code: int, status: int = 400) -> Answer:
    return _json({"error": {"message": message, "type": "OAuthException", "code": code}}, status)


def _youtube_error(status: int, message: str, reason: str) -> Answer:
    body = {"code": status, "message": message, "errors": [{"reason": reason}]}
    return _json({"error": body | {"details": [{"reason": reason}]}}, status)


DENIED: dict[str, Answer] = {  # each platform's documented answer to a missing or bad token
    "mastodon": _json({"error": "The access token is invalid"}, 401),
    "bluesky": _json({"error": "AuthenticationRequired", "message": "Invalid credentials"}, 401),
    "reddit": _json({"message": "Unauthorized", "error": 401}, 401),
    "youtube": _youtube_error(400, "API key not valid. Please pass a valid API key.", "keyInvalid"),
    "graph": _graph_error("Invalid OAuth access token - Cannot parse access token", 190),
}


def _flat(include: Callable[[Item], bool] = lambda item: True) -> RowsOf:
    """Rows for flat timelines: every item of a conversation by its own time."""
    return lambda items: [((item.ms, item.code), item) for item in items if include(item)]


def _threads(
    include: Callable[[Item], bool] = lambda item: True, by_update: bool = False
) -> RowsOf:
    """Rows for threaded listings: one per conversation, by its opener's (or last reply's) time."""

    def rows(items: tuple[Item, ...]) -> list[tuple[Key, Any]]:
        if not include(items[0]):
            return []
        return [((items[-1].ms if by_update else items[0].ms, items[0].code), items)]

    return rows


class FakePlatforms:
    """The WSGI application. ``clock`` gives the current time (tests freeze or advance it)."""

    def __init__(self, *, seed: str = SEED, clock: Callable[[], datetime] | None = None) -> None:
        self.seed = seed
        self.clock = clock or (lambda: datetime.now(UTC))
        self.replies: list[dict[str, Any]] = []  # every reply posted, oldest first
        self._posted: dict[int, Item] = {}
        self._idempotent: dict[str, Answer] = {}
        self._lock = threading.Lock()
        self._last_ms = 0
        self._apps: dict[str, dict[str, str]] = {}  # Mastodon OAuth apps by client_id

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        length = environ.get("CONTENT_LENGTH") or ""
        headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k[:5] == "HTTP_"
        }
        request = Request(
            method=environ["REQUEST_METHOD"].upper(),
            path=environ.get("PATH_INFO") or "/",
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            headers=headers | {"content-type": environ.get("CONTENT_TYPE", "")},
            body=environ["wsgi.input"].read(int(length)) if length.isdigit() else b"",
            root=f"{environ['wsgi.url_scheme']}://{host}",
        )
        status, headers, body = self.handle(request)
        length_header = ("Content-Length", str(len(body)))
        start_response(f"{status} {HTTPStatus(status).phrase}", [*headers.items(), length_header])
        return [body]

    def handle(self, request: Request) -> Answer:
        """Dispatch ``request`` along ``ROUTES``; a JSON 404 or 405 when nothing matches."""
        allowed = False
        for method, pattern, name in ROUTES:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                return getattr(self, name)(request, **match.groupdict())
            allowed = allowed or bool(match)
        return (
            _json({"error": "Method not allowed"}, 405)
            if allowed
            else _json({"error": "Not found"}, 404)
        )

    # -- the synthetic world ------------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self.clock().timestamp() * 1000)

    def scan(
        self,
        stream: Stream,
        rows_of: RowsOf,
        *,
        before: Key | None = None,
        after: Key | None = None,
        limit: int | None = None,
    ) -> list[Any]:
        """The newest ``limit`` rows with ``after < key < before`` (within 90 days), newest first.

        Walks the stream's slots back from ``before``; a conversation's rows are never later than
        its start plus the stream's spread, which says when older slots cannot matter any more.
        """
        stream_no, now = STREAMS.index(stream), self.now_ms()
        floor, spread = now - HISTORY_MS, (stream.spread + 1) * MINUTE_MS
        first = min(now, before[0] if before else now) // SLOT_MS
        last = (max(floor, after[0] if after else floor) - spread) // SLOT_MS
        found: list[tuple[Key, Any]] = []
        for slot in range(first, last - 1, -1):
            if limit and len(found) >= limit:
                kth = heapq.nlargest(limit, (key for key, _ in found))[-1]
                if (slot + 1) * SLOT_MS + spread < kth[0]:
                    break
            items = tuple(i for i in conversation(self.seed, stream_no, slot) if i.ms <= now)
            found += [
                (key, payload)
                for key, payload in (rows_of(items) if items else ())
                if key[0] >= floor and (not before or key < before) and (not after or key > after)
            ]
        found.sort(key=lambda row: row[0], reverse=True)
        return [payload for _, payload in found[:limit]]

    def find(self, code: int | None) -> Item | None:
        """The published item (or posted reply) with ``code``."""
        if not code or code in self._posted:
            return self._posted.get(code or 0)
        stream_no, ms, now = code >> 6 & 1023, code >> 16, self.now_ms()
        if stream_no >= len(STREAMS) or not now - HISTORY_MS <= ms <= now:
            return None
        spread = (STREAMS[stream_no].spread + 1) * MINUTE_MS
        for slot in range(ms // SLOT_MS, (ms - spread) // SLOT_MS - 1, -1):
            for item in conversation(self.seed, stream_no, slot):
                if item.code == code:
                    return item
        return None

    def thread(self, item: Item) -> dict[int, Item]:
        """The published items of ``item``'s conversation, by code."""
        now = self.now_ms()
        items = conversation(self.seed, item.stream, (item.topic >> 16) // SLOT_MS)
        return {i.code: i for i in items if i.ms <= now} | {item.code: item}

    def post(self, platform: str, brand: Brand, parent: Item | None, text: str) -> Item:
        """Record a reply the brand posted, under an id newer than anything served so far."""
        home = next(n for n, s in enumerate(STREAMS) if s.brand == brand.slug)
        stream_no = parent.stream if parent else home
        with self._lock:
            self._last_ms = ms = max(self.now_ms(), self._last_ms + 1)
            code = ms << 16 | stream_no << 6 | 63  # index 63 is never generated
            topic, parent_code = (parent.topic, parent.code) if parent else (code, 0)
            item = Item(code, ms, stream_no, topic, parent_code, None, "brand", 0, text)
            self._posted[code] = item
            reply = {"platform": platform, "brand": brand.slug, "id": str(code), "text": text}
            self.replies.append(reply | {"in_reply_to": str(parent_code or ""), "at": _at(ms)})
        return item

    def recorded(self, request: Request) -> Answer:
        """GET /_demo/replies: every reply posted since the server started."""
        with self._lock:
            return _json(list(self.replies))

    # -- RSS 2.0 reviews and Atom forums ------------------------------------------------------

    def rss(self, request: Request, feed: str) -> Answer:
        stream = _stream("rss", "feed", feed)
        if stream is None:
            return _json({"error": f"no feed {feed!r}"}, 404)
        items = self.scan(stream, _flat(), limit=FEED_SIZE)
        headers = {"ETag": f'"{items[0].code if items else 0}"'}
        if items:
            newest = datetime.fromtimestamp(items[0].ms // 1000, UTC)
            headers["Last-Modified"] = format_datetime(newest, usegmt=True)
        if request.headers.get("if-none-match") == headers["ETag"]:
            return 304, headers, b""
        if stream.review:
            kind, body = "rss", self._rss(stream, items)
        else:
            kind, body = "atom", self._atom(stream, items)
        return 200, headers | {"Content-Type": f"application/{kind}+xml; charset=utf-8"}, body

    def _rss(self, stream: Stream, items: list[Item]) -> bytes:
        site = f"https://reviews.example/{stream.key}"
        entries = "".join(
            f"\n    <item><title>{escape(i.title)}</title><link>{site}/r/{i.code}</link>"
            f'<guid isPermaLink="false">review-{i.code}</guid>'
            f"<dc:creator>{escape(_name(i).split()[0])} {_name(i).split()[-1][0]}.</dc:creator>"
            f"<rev:rating>{i.rating}</rev:rating>"
            f"<pubDate>{format_datetime(datetime.fromtimestamp(i.ms // 1000, UTC))}</pubDate>"
            f"<description>{escape(i.text)}</description></item>"
            for i in items
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:rev='
            '"http://purl.org/stuff/rev#" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f"  <channel><title>TrustBrew reviews of {escape(BRANDS[stream.brand].name)}</title>"
            f"<link>{site}</link><description>Latest customer reviews</description>"
            f"<language>en</language>{entries}\n  </channel>\n</rss>\n"
        ).encode()

    def _atom(self, stream: Stream, items: list[Item]) -> bytes:
        site, tag = f"https://owners.{stream.key}.example", f"tag:owners.{stream.key}.example,2024:"

        def entry(item: Item) -> str:
            opener = self.thread(item).get(item.topic, item)
            title, path = item.title or f"Re: {opener.title}", f"{site}/t/{opener.code}/"
            user = _handle(item, "forum")
            reply_to = ""
            if item.parent:
                reply_to = f'<thr:in-reply-to ref="{tag}{item.parent}" href="{path}{item.parent}"/>'
            return (
                f'\n  <entry xml:lang="{item.lang}"><id>{tag}{item.code}</id>'
                f"<title>{escape(title)}</title>"
                f'<link rel="alternate" type="text/html" href="{path}{item.code}"/>'
                f"<published>{_at(item.ms, 'seconds')}</published>"
                f"<updated>{_at(item.ms, 'seconds')}</updated>"
                f"<author><name>{escape(_name(item))}</name><uri>{site}/u/{user}</uri></author>"
                f'{reply_to}<content type="html">{escape(f"<p>{escape(item.text)}</p>")}</content>'
                "</entry>"
            )

        updated = _at(items[0].ms if items else self.now_ms(), "seconds")
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:thr="http://purl.org/syndication/thread/1.0" xml:lang="en">\n'
            f"  <title>{escape(BRANDS[stream.brand].name)} owners forum: latest posts</title>"
            f'<id>{tag}latest</id><link rel="self" href="{site}/latest.atom"/>'
            f"<updated>{updated}</updated>{''.join(entry(item) for item in items)}\n</feed>\n"
        ).encode()

    # -- Mastodon -----------------------------------------------------------------------------

    def mastodon_notifications(self, request: Request) -> Answer:
        brand = _token_brand(request.bearer)
        stream = _stream("mastodon", "mentions", brand.handle if brand else None)
        if stream is None:
            return DENIED["mastodon"]

        def notification(item: Item) -> dict[str, Any]:
            status = self._status(item)
            fields = {"type": "mention", "account": status["account"], "status": status}
            return {"id": status["id"], "created_at": status["created_at"], **fields}

        return self._mastodon_list(request, stream, notification, lambda i: i.author is not None)

    def mastodon_tag(self, request: Request, tag: str) -> Answer:
        stream = _stream("mastodon", "hashtag", tag.lower())
        return self._mastodon_list(request, stream, self._status) if stream else _json([])

    def mastodon_search(self, request: Request) -> Answer:
        stream = _search_stream("mastodon", request.arg("q"))
        if not _token_brand(request.bearer):
            return DENIED["mastodon"]
        if stream is None or request.arg("type") not in (None, "statuses"):
            return _json({"accounts": [], "statuses": [], "hashtags": []})
        return self._mastodon_list(request, stream, self._status, search=True)

    def mastodon_status(self, request: Request, status_id: str) -> Answer:
        item = self.find(_code(status_id))
        return _json(self._status(item)) if item else _json({"error": "Record not found"}, 404)

    def mastodon_post_status(self, request: Request) -> Answer:
        brand, data = _token_brand(request.bearer), request.data()
        key = request.headers.get("idempotency-key", "")
        if brand is None:
            return DENIED["mastodon"]
        if key in self._idempotent:
            return self._idempotent[key]
        if not str(data.get("status") or "").strip():
            return _json({"error": "Validation failed: Text can't be blank"}, 422)
        parent = self.find(_code(str(data.get("in_reply_to_id") or "")))
        item = self.post("mastodon", brand, parent, str(data["status"]))
        answer = _json(self._status(item) | {"visibility": data.get("visibility") or "public"})
        if key:
            self._idempotent[key] = answer
        return answer

    # Mastodon's OAuth (docs.joinmastodon.org/client/token): register an app, the person allows
    # it on the instance (here: chooses which demo brand's account to sign in as), code → token.

    def mastodon_register_app(self, request: Request) -> Answer:
        data = request.data()
        if not data.get("client_name") or not data.get("redirect_uris"):
            return _json({"error": "Validation failed: Name can't be blank"}, 422)
        client_id, secret = (
            hashlib.sha256(f"{kind}{len(self._apps)}{data}".encode()).hexdigest()[:32]
            for kind in ("id", "secret")
        )
        app = {
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uri": str(data["redirect_uris"]),
            "name": str(data["client_name"]),
        }
        with self._lock:
            self._apps[client_id] = app
        return _json({"id": str(len(self._apps)), "website": None, "vapid_key": "", **app})

    def mastodon_authorize(self, request: Request) -> Answer:
        """The consent page (GET) and its answer (POST): back to the app with a code."""
        fields = (
            request.data()
            if request.method == "POST"
            else {k: v[0] for k, v in request.query.items()}
        )
        app = self._apps.get(str(fields.get("client_id")))
        if app is None or fields.get("redirect_uri") != app["redirect_uri"]:
            return 400, {"Content-Type": "text/html; charset=utf-8"}, b"<h1>Invalid client</h1>"
        if request.method == "POST":
            brand = BRANDS.get(str(fields.get("account")))
            if brand is None or brand.competitor:
                return 400, {"Content-Type": "text/html; charset=utf-8"}, b"<h1>No account</h1>"
            grant = f"{app['client_id']}:{brand.slug}".encode()
            code = base64.urlsafe_b64encode(grant).decode().rstrip("=")
            query = urlencode({"code": code, "state": fields.get("state", "")})
            return 302, {"Location": f"{app['redirect_uri']}?{query}"}, b""
        hidden = "".join(
            f'<input type="hidden" name="{_attr(k)}" value="{_attr(str(v))}">'
            for k, v in fields.items()
        )
        options = "".join(
            f'<option value="{b.slug}">@{b.handle} ({_attr(b.name)})</option>'
            for b in BRANDS.values()
            if not b.competitor
        )
        page = (
            f"<!doctype html><title>Authorize {_attr(app['name'])}</title>"
            f"<h1>Authorize {_attr(app['name'])} to use your account?</h1>"
            f'<form method="post"><label for="account">Account</label>'
            f'<select id="account" name="account">{options}</select>{hidden}'
            f'<button type="submit">Authorize</button></form>'
        )
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def mastodon_token(self, request: Request) -> Answer:
        data = request.data()
        app = self._apps.get(str(data.get("client_id")))
        code = str(data.get("code") or "")
        invalid = _json(
            {
                "error": "invalid_grant",
                "error_description": "The provided authorization grant is invalid, expired or "
                "revoked.",
            },
            400,
        )
        if app is None or data.get("client_secret") != app["client_secret"]:
            return _json(
                {"error": "invalid_client", "error_description": "Client authentication failed."},
                401,
            )
        try:
            grant = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4)).decode()
            client_id, slug = grant.split(":")
        except (ValueError, UnicodeDecodeError):
            return invalid
        if client_id != app["client_id"] or data.get("redirect_uri") != app["redirect_uri"]:
            return invalid
        return _json(
            {
                "access_token": credential("mastodon", slug),
                "token_type": "Bearer",
                "scope": str(data.get("scope") or "read"),
                "created_at": self.now_ms() // 1000,
            }
        )

    def _mastodon_list(
        self,
        request: Request,
        stream: Stream,
        render: Callable[[Item], dict[str, Any]],
        include: Callable[[Item], bool] = lambda item: True,
        search: bool = False,
    ) -> Answer:
        """A page bounded by ``max_id``/``since_id``; ``min_id`` asks for the page just above it
        (search treats ``min_id`` as a plain floor). Timelines link ``next`` and ``prev`` pages."""
        limit = request.limit("limit", 20, 40)
        max_id, since_id, min_id = (
            _key(_code(request.arg(n))) for n in ("max_id", "since_id", "min_id")
        )
        if min_id and not search:
            items = self.scan(stream, _flat(include), before=max_id, after=min_id)[-limit:]
        else:
            floor = since_id or min_id
            items = self.scan(stream, _flat(include), before=max_id, after=floor, limit=limit)
        body = [render(item) for item in items]
        if search:
            return _json({"accounts": [], "statuses": body, "hashtags": []})
        if not items:
            return _json(body)
        bare = {"max_id": None, "since_id": None, "min_id": None}
        older, newer = (
            request.url(**bare | {"max_id": items[-1].code}),
            request.url(**bare | {"min_id": items[0].code}),
        )
        return _json(body, Link=f'<{older}>; rel="next", <{newer}>; rel="prev"')

    def _status(self, item: Item) -> dict[str, Any]:
        stream, thread = STREAMS[item.stream], self.thread(item)
        brand, user = BRANDS[stream.brand], _handle(item, "mastodon")
        host = item.author.instance if item.author else MASTODON_HOST
        html = escape(item.text)
        if stream.mode == "mentions" and item.author:
            link = f'<a href="https://{MASTODON_HOST}/@{brand.handle}" class="u-url mention">'
            html = f'<span class="h-card">{link}@<span>{brand.handle}</span></a></span> {html}'
        elif stream.mode == "hashtag":
            html += f' <a href="https://{MASTODON_HOST}/tags/{stream.key}" class="mention hashtag"'
            html += f' rel="tag">#<span>{stream.key}</span></a>'
        parent, uid = thread.get(item.parent), _uid(item)
        account = {
            "id": uid,
            "username": user,
            "acct": user if host == MASTODON_HOST else f"{user}@{host}",
            "display_name": _name(item),
            "url": f"https://{host}/@{user}",
            "avatar": f"https://files.{host}/avatars/{uid}.png",
            "bot": False,
            "followers_count": int(uid) % 3000 + (0 if item.author else 9000),
        }
        return {
            "id": str(item.code),
            "created_at": _at(item.ms),
            "in_reply_to_id": str(item.parent) if item.parent else None,
            "in_reply_to_account_id": _uid(parent) if parent else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": item.lang,
            "uri": f"https://{host}/users/{user}/statuses/{item.code}",
            "url": f"https://{host}/@{user}/{item.code}",
            "replies_count": sum(i.parent == item.code for i in thread.values()),
            "reblogs_count": item.likes // 4,
            "favourites_count": item.likes,
            "content": f"<p>{html}</p>",
            "reblog": None,
            "account": account,
            "media_attachments": [],
            "mentions": [],
            "tags": [{"name": stream.key}] if stream.mode == "hashtag" else [],
        }

    # -- Bluesky ------------------------------------------------------------------------------

    def bluesky_search(self, request: Request) -> Answer:
        stream = _search_stream("bluesky", request.arg("q"))
        return self._bluesky_list(request, stream, "posts", self._post_view)

    def bluesky_author_feed(self, request: Request) -> Answer:
        actor = request.arg("actor")
        streams = (s for s in STREAMS if s.platform == "bluesky" and s.mode == "actor")
        stream = next((s for s in streams if actor in (s.key, _did(s.key))), None)
        if stream is None:
            return _json({"error": "InvalidRequest", "message": "Profile not found"}, 400)
        by_brand = lambda item: item.author is None  # noqa: E731 - the actor's own posts only
        return self._bluesky_list(
            request, stream, "feed", lambda item: {"post": self._post_view(item)}, by_brand
        )

    def bluesky_get_posts(self, request: Request) -> Answer:
        items = (self.find(_untid(uri)) for uri in request.query.get("uris", [])[:25])
        return _json({"posts": [self._post_view(item) for item in items if item]})

    def bluesky_create_session(self, request: Request) -> Answer:
        data = request.data()
        brand = _token_brand(data.get("password"))
        if brand is None or data.get("identifier") not in (_bsky(brand), _did(_bsky(brand))):
            return DENIED["bluesky"]
        session = {"did": _did(_bsky(brand)), "handle": _bsky(brand), "active": True}
        tokens = {name: credential(f"bluesky-{name}", brand.slug) for name in ("access", "refresh")}
        return _json(session | {"accessJwt": tokens["access"], "refreshJwt": tokens["refresh"]})

    def bluesky_create_record(self, request: Request) -> Answer:
        brand, data = _token_brand(request.bearer), request.data()
        record = data.get("record") if isinstance(data.get("record"), dict) else {}
        if brand is None:
            return DENIED["bluesky"]
        if not record.get("text"):
            return _json({"error": "InvalidRequest", "message": "Record/text is required"}, 400)
        parent = (record.get("reply") or {}).get("parent") or {}
        item = self.post(
            "bluesky", brand, self.find(_untid(str(parent.get("uri")))), record["text"]
        )
        ref = self._strong_ref(item)
        commit = {"cid": "bafyrei" + _b32(f"commit{item.code}", 52), "rev": _tid(item.code)}
        return _json(ref | {"commit": commit, "validationStatus": "valid"})

    def _bluesky_list(
        self,
        request: Request,
        stream: Stream | None,
        field: str,
        render: Callable[[Item], dict[str, Any]],
        include: Callable[[Item], bool] = lambda item: True,
    ) -> Answer:
        """A page of ``limit`` items older than the opaque ``cursor``, which comes back if full."""
        limit, before = request.limit("limit", 25, 100), _untoken(request.arg("cursor"))
        items = self.scan(stream, _flat(include), before=before, limit=limit) if stream else []
        body: dict[str, Any] = {field: [render(item) for item in items]}
        if len(items) == limit:
            body["cursor"] = _token((items[-1].ms, items[-1].code))
        return _json(body)

    def _strong_ref(self, item: Item) -> dict[str, str]:
        did = _did(_handle(item, "bluesky"))
        uri = f"at://{did}/app.bsky.feed.post/{_tid(item.code)}"
        return {"uri": uri, "cid": "bafyrei" + _b32(uri, 52)}

    def _post_view(self, item: Item) -> dict[str, Any]:
        thread, handle = self.thread(item), _handle(item, "bluesky")
        record = {"$type": "app.bsky.feed.post", "createdAt": _at(item.ms), "text": item.text}
        if item.parent:
            refs = {"root": thread.get(item.topic), "parent": thread.get(item.parent)}
            record["reply"] = {name: self._strong_ref(ref) for name, ref in refs.items() if ref}
        author = {"did": _did(handle), "handle": handle, "displayName": _name(item), "labels": []}
        return self._strong_ref(item) | {
            "author": author,
            "record": record | {"langs": [item.lang]},
            "replyCount": sum(i.parent == item.code for i in thread.values()),
            "repostCount": item.likes // 5,
            "likeCount": item.likes,
            "quoteCount": 0,
            "indexedAt": _at(item.ms + 1000),
            "labels": [],
        }

    # -- Reddit -------------------------------------------------------------------------------

    def reddit_listing(
        self, request: Request, listing: str, subreddit: str | None = None
    ) -> Answer:
        if listing == "search" or request.arg("q"):
            stream, rows = _search_stream("reddit", request.arg("q")), _threads()
        else:
            stream = _stream("reddit", "subreddit", (subreddit or "").lower())
            rows = _threads() if listing == "new" else _flat(lambda item: item.parent != 0)
        limit, before = request.limit("limit", 25, 100), _key(_code(request.arg("after"), 36))
        found = self.scan(stream, rows, before=before, limit=limit) if stream else []
        children = [self._thing(row if isinstance(row, Item) else row[0]) for row in found]
        after = children[-1]["data"]["name"] if len(children) == limit else None
        page = {"after": after, "before": None, "dist": len(children), "modhash": ""}
        return _json({"kind": "Listing", "data": page | {"children": children}})

    def reddit_comment(self, request: Request) -> Answer:
        brand, data = _token_brand(request.bearer), request.data()
        if brand is None:
            return DENIED["reddit"]
        if not data.get("text") or not data.get("thing_id"):
            return _json({"json": {"errors": [["NO_TEXT", "we need something here", "text"]]}})
        parent = self.find(_code(data["thing_id"], 36))
        thing = self._thing(self.post("reddit", brand, parent, data["text"]))
        thing["data"]["parent_id"] = data["thing_id"]
        return _json({"json": {"errors": [], "data": {"things": [thing]}}})

    def _thing(self, item: Item) -> dict[str, Any]:
        """A ``t3`` link (a conversation's opener) or a ``t1`` comment, as listings carry them."""
        stream, thread = STREAMS[item.stream], self.thread(item)
        opener, author = thread.get(item.topic, item), _handle(item, "reddit")
        subreddit = stream.key
        if stream.mode != "subreddit":
            subreddit = ("ebikes", "bikecommuting", "electricbikes")[opener.ms // 1000 % 3]
        slug = re.sub(r"[^a-z0-9]+", "_", opener.title.lower()).strip("_")[:40] or "post"
        link = f"/r/{subreddit}/comments/{_b36(opener.code)}/{slug}/"
        data = {
            "id": _b36(item.code),
            "subreddit": subreddit,
            "author": author,
            "author_fullname": f"t2_{_b36(int(_digits(author, 12)))}",
            "score": item.likes + 1,
            "created_utc": item.ms / 1000,
        }
        if not item.parent:
            link_data = {"name": f"t3_{data['id']}", "title": item.title, "selftext": item.text}
            link_data |= {"num_comments": len(thread) - 1, "permalink": link, "is_self": True}
            return {"kind": "t3", "data": data | link_data}
        parent = (
            f"t3_{_b36(item.parent)}" if item.parent == opener.code else f"t1_{_b36(item.parent)}"
        )
        comment = {"name": f"t1_{data['id']}", "body": item.text, "parent_id": parent}
        comment |= {"link_id": f"t3_{_b36(opener.code)}", "permalink": f"{link}{data['id']}/"}
        return {"kind": "t1", "data": data | comment}

    # -- YouTube Data API v3 ------------------------------------------------------------------

    def youtube_threads(self, request: Request) -> Answer:
        if not _token_brand(request.arg("key")):
            return DENIED["youtube"]
        video, channel = request.arg("videoId"), request.arg("allThreadsRelatedToChannelId")
        streams = (s for s in STREAMS if s.platform == "youtube")
        stream = next(
            (s for s in streams if (video in s.videos if video else s.key == channel)), None
        )
        if stream is None:
            return _youtube_error(
                404,
                "The video identified by the videoId parameter could not be found.",
                "videoNotFound",
            )
        limit, before = request.limit("maxResults", 20, 100), _untoken(request.arg("pageToken"))
        rows = _threads(lambda item: not video or _video(item) == video)
        threads = self.scan(stream, rows, before=before, limit=limit)
        body = {
            "kind": "youtube#commentThreadListResponse",
            "pageInfo": {"totalResults": len(threads), "resultsPerPage": limit},
            "items": [self._youtube_thread(items) for items in threads],
        }
        if len(threads) == limit:
            body["nextPageToken"] = _token((threads[-1][0].ms, threads[-1][0].code))
        return _json(body)

    def youtube_insert_comment(self, request: Request) -> Answer:
        brand, data = _token_brand(request.bearer), request.data()
        snippet = data.get("snippet") if isinstance(data.get("snippet"), dict) else {}
        if brand is None:
            return _youtube_error(
                401, "Request is missing required authentication credential.", "required"
            )
        if not snippet.get("parentId") or not snippet.get("textOriginal"):
            return _youtube_error(
                400, "The comment snippet is incomplete.", "invalidCommentMetadata"
            )
        thread_id = str(snippet["parentId"])
        parent = self.find(_code(thread_id.removeprefix("Ugx").removesuffix("AaABAg"), 36))
        item = self.post("youtube", brand, parent, str(snippet["textOriginal"]))
        return _json(self._youtube_comment(item, thread_id))

    def _youtube_thread(self, items: tuple[Item, ...]) -> dict[str, Any]:
        opener, thread_id = items[0], f"Ugx{_b36(items[0].code)}AaABAg"
        replies = [self._youtube_comment(item, thread_id) for item in items[1:]]
        snippet = {"channelId": STREAMS[opener.stream].key, "videoId": _video(opener)}
        snippet |= {"topLevelComment": self._youtube_comment(opener), "canReply": True}
        snippet |= {"totalReplyCount": len(replies), "isPublic": True}
        thread = {"kind": "youtube#commentThread", "id": thread_id, "snippet": snippet}
        return thread | ({"replies": {"comments": replies}} if replies else {})

    def _youtube_comment(self, item: Item, thread_id: str = "") -> dict[str, Any]:
        handle = _handle(item, "youtube")
        comment_id = (
            f"{thread_id}.{_b36(item.code)}" if thread_id else f"Ugx{_b36(item.code)}AaABAg"
        )
        snippet = {
            "channelId": STREAMS[item.stream].key,
            "videoId": _video(item),
            "textDisplay": escape(item.text),
            "textOriginal": item.text,
            "authorDisplayName": handle,
            "authorChannelUrl": f"http://www.youtube.com/{handle}",
            "authorChannelId": {"value": "UC" + _b32(handle, 22)},
            "likeCount": item.likes,
            "publishedAt": _at(item.ms, "seconds"),
            "updatedAt": _at(item.ms, "seconds"),
        }
        snippet |= {"parentId": thread_id} if thread_id else {}
        return {"kind": "youtube#comment", "id": comment_id, "snippet": snippet}

    # -- Graph API: Facebook Page feeds, Instagram media and comments ------------------------

    def graph_get(self, request: Request, node: str, edge: str) -> Answer:
        if not _token_brand(request.arg("access_token")):
            return DENIED["graph"]
        limit, after = request.limit("limit", 25, 100), _untoken(request.arg("after"))
        if edge == "comments":  # on Instagram media: newest first, replies nested
            media = self.find(_code(node))
            if media is None or media.parent:
                return _graph_error(f"Unsupported get request. Object {node} does not exist", 100)
            thread = self.thread(media).values()
            comments = sorted((i for i in thread if i.parent == media.code), key=lambda i: -i.ms)
            newer = [item for item in comments if not after or (item.ms, item.code) < after]
            page, more = newer[:limit], len(newer) > limit
            data = [self._ig_comment(item, thread) for item in page]
            keys = [(item.ms, item.code) for item in page]
        else:
            platform, mode = ("facebook_page", "page") if edge == "feed" else ("instagram", "ig")
            stream = _stream(platform, mode, node)
            if stream is None:
                return _graph_error(
                    f"(#803) Some of the aliases you requested do not exist: {node}", 803, 404
                )
            rows = _threads(by_update=edge == "feed")
            threads = self.scan(stream, rows, before=after, limit=limit)
            more, render = (
                len(threads) == limit,
                self._fb_post if edge == "feed" else self._ig_media,
            )
            data = [render(stream, items) for items in threads]
            keys = [(t[-1].ms if edge == "feed" else t[0].ms, t[0].code) for t in threads]
        body: dict[str, Any] = {"data": data}
        if keys:
            body["paging"] = {"cursors": {"before": _token(keys[0]), "after": _token(keys[-1])}}
            body["paging"] |= {"next": request.url(after=_token(keys[-1]))} if more else {}
        return _json(body)

    def graph_post(self, request: Request, node: str, edge: str) -> Answer:
        data = request.data()
        brand = _token_brand(data.get("access_token") or request.arg("access_token"))
        if brand is None:
            return DENIED["graph"]
        if not data.get("message"):
            return _graph_error("(#100) Missing message", 100)
        platform = "instagram" if edge == "replies" else "facebook_page"
        item = self.post(platform, brand, self.find(_code(node)), data["message"])
        return _json({"id": str(item.code) if edge == "replies" else f"{item.topic}_{item.code}"})

    def _fb_post(self, stream: Stream, items: tuple[Item, ...]) -> dict[str, Any]:
        post = items[0]
        url = f"https://www.facebook.com/{stream.key}/posts/{post.code}"

        def who(item: Item) -> dict[str, str]:
            return {"name": _name(item), "id": _uid(item)[:16] if item.author else stream.key}

        def comment(item: Item) -> dict[str, Any]:
            shape = {"id": f"{post.code}_{item.code}", "message": item.text, "from": who(item)}
            shape |= {"created_time": _at(item.ms, "graph"), "like_count": item.likes}
            shape |= {"comment_count": sum(i.parent == item.code for i in items)}
            shape |= {"permalink_url": f"{url}?comment_id={item.code}"}
            return shape | (
                {"parent": {"id": f"{post.code}_{item.parent}"}} if item.parent != post.code else {}
            )

        comments = [comment(item) for item in sorted(items[1:], key=lambda i: -i.ms)[:100]]
        return {
            "id": f"{stream.key}_{post.code}",
            "message": post.text,
            "created_time": _at(post.ms, "graph"),
            "updated_time": _at(items[-1].ms, "graph"),
            "permalink_url": url,
            "from": who(post),
            "comments": {"data": comments},
        }

    def _ig_media(self, stream: Stream, items: tuple[Item, ...]) -> dict[str, Any]:
        media = items[0]
        shortcode = base64.urlsafe_b64encode(media.code.to_bytes(8, "big")).decode().rstrip("=")
        return {
            "id": str(media.code),
            "caption": media.text,
            "media_type": "IMAGE",
            "permalink": f"https://www.instagram.com/p/{shortcode}/",
            "timestamp": _at(media.ms, "graph"),
            "username": _handle(media, "instagram"),
            "comments_count": len(items) - 1,
            "like_count": media.likes,
        }

    def _ig_comment(self, item: Item, thread: Iterable[Item]) -> dict[str, Any]:
        def shape(i: Item) -> dict[str, Any]:
            fields = {"id": str(i.code), "text": i.text, "username": _handle(i, "instagram")}
            return fields | {"timestamp": _at(i.ms, "graph"), "like_count": i.likes}

        replies = [shape(i) for i in thread if i.parent == item.code]
        return shape(item) | ({"replies": {"data": replies}} if replies else {})


ROUTES = [  # (method, path pattern, FakePlatforms handler); groups become keyword arguments
    (method, re.compile(pattern), name)
    for method, pattern, name in (
        ("GET", r"/_demo/replies", "recorded"),
        ("GET", r"/rss/(?P<feed>[\w-]+)\.xml", "rss"),
        ("GET", r"/mastodon/api/v1/notifications", "mastodon_notifications"),
        ("GET", r"/mastodon/api/v1/timelines/tag/(?P<tag>[^/]+)", "mastodon_tag"),
        ("GET", r"/mastodon/api/v2/search", "mastodon_search"),
        ("GET", r"/mastodon/api/v1/statuses/(?P<status_id>\d+)", "mastodon_status"),
        ("POST", r"/mastodon/api/v1/statuses", "mastodon_post_status"),
        ("POST", r"/mastodon/api/v1/apps", "mastodon_register_app"),
        ("GET", r"/mastodon/oauth/authorize", "mastodon_authorize"),
        ("POST", r"/mastodon/oauth/authorize", "mastodon_authorize"),
        ("POST", r"/mastodon/oauth/token", "mastodon_token"),
        ("GET", r"/bluesky/xrpc/app\.bsky\.feed\.searchPosts", "bluesky_search"),
        ("GET", r"/bluesky/xrpc/app\.bsky\.feed\.getAuthorFeed", "bluesky_author_feed"),
        ("GET", r"/bluesky/xrpc/app\.bsky\.feed\.getPosts", "bluesky_get_posts"),
        ("POST", r"/bluesky/xrpc/com\.atproto\.server\.createSession", "bluesky_create_session"),
        ("POST", r"/bluesky/xrpc/com\.atproto\.repo\.createRecord", "bluesky_create_record"),
        (
            "GET",
            r"/reddit(?:/r/(?P<subreddit>\w+))?/(?P<listing>new|comments|search)\.json",
            "reddit_listing",
        ),
        ("POST", r"/reddit/api/comment", "reddit_comment"),
        ("GET", r"/youtube/youtube/v3/commentThreads", "youtube_threads"),
        ("POST", r"/youtube/youtube/v3/comments", "youtube_insert_comment"),
        ("GET", r"/graph(?:/v[\d.]+)?/(?P<node>\d+)/(?P<edge>feed|media|comments)", "graph_get"),
        ("POST", r"/graph(?:/v[\d.]+)?/(?P<node>[\d_]+)/(?P<edge>comments|replies)", "graph_post"),
    )
]


def _bsky(brand: Brand) -> str:
    return f"{brand.handle}.bsky.social"


def brand_accounts(slug: str) -> list[dict[str, str]]:
    """The accounts the brand ``slug`` answers from on each platform (as ``_handle`` names them),
    in the shape of the client API's ``brand_accounts`` (and ``competitor_accounts``)."""
    brand = BRANDS[slug]
    official = brand.name.replace(" ", "")
    handles = {
        "youtube": "@" + official, "reddit": official + "Official",
        "instagram": brand.slug.replace("-", "."), "bluesky": _bsky(brand),
        "mastodon": brand.handle, "rss": brand.name, "facebook_page": brand.name,
    }  # fmt: skip
    return [{"platform": platform, "handle": handle} for platform, handle in handles.items()]


def demo_channels(base_url: str) -> list[dict[str, Any]]:
    """The channels the demo seed creates, one per stream, all pointing at ``base_url``.

    Each is ``{"client": brand slug, "platform", "name", "config", "credentials", "listen_only"}``
    in the channel API's shape; competitors' channels and review feeds are listen-only.
    """
    base, channels = base_url.rstrip("/"), []
    for stream in STREAMS:
        brand, platform, key = BRANDS[stream.brand], stream.platform, stream.key
        token = credential(platform, brand.slug)
        config: dict[str, Any] = {"base_url": f"{base}/{platform}"}
        credentials: dict[str, Any] = {"access_token": token}
        if platform == "rss":
            config, credentials = {"url": f"{base}/rss/{key}.xml"}, {}
        elif platform == "mastodon":
            config |= {"mode": stream.mode}
            config |= {"hashtag": key} if stream.mode == "hashtag" else {}
            config |= {"query": key} if stream.mode == "search" else {}
        elif platform == "bluesky":
            config |= {"pds_url": f"{base}/bluesky"}
            config |= {"actor": key} if stream.mode == "actor" else {"query": key}
            credentials = {"identifier": _bsky(brand), "app_password": token}
        elif platform == "reddit":
            config |= {"subreddit": key} if stream.mode == "subreddit" else {"query": key}
        elif platform == "youtube":
            config |= {"channel_id": key} if stream.mode == "channel" else {"video_id": key}
            credentials |= {"api_key": token}
        else:  # facebook_page, instagram: the Graph API
            id_field = "page_id" if platform == "facebook_page" else "ig_user_id"
            config = {"base_url": f"{base}/graph/v19.0", id_field: key}
        channels.append(
            {
                "client": brand.slug,
                "platform": platform,
                "name": stream.name,
                "config": config,
                "credentials": credentials,
                "listen_only": brand.competitor or platform == "rss",
            }
        )
    return channels


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_fake_server(
    host: str = "127.0.0.1", port: int = 8765, app: FakePlatforms | None = None
) -> WSGIServer:
    """A threaded wsgiref server for ``app`` (port 0: any free port); call ``serve_forever``."""
    app = app or FakePlatforms()
    return make_server(
        host, port, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler
    )

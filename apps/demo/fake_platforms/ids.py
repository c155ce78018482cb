"""Ids, cursors and timestamps in each platform's style, and who an item's author is there."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from datetime import UTC, datetime

from .world import BRANDS, STREAMS, Brand, Item, Stream

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


def _bsky(brand: Brand) -> str:
    return f"{brand.handle}.bsky.social"

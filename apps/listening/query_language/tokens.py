"""The words of the language and of mentions: keywords, fields, normalisation, syntax errors,
and a mention's text tokenised once for every query."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from apps.core.platforms import PLATFORMS as ALL_PLATFORMS

PLATFORMS = frozenset(ALL_PLATFORMS)  # what ``platform:`` accepts
FIELD_NAMES = {"platform": "platform", "lang": "lang", "language": "lang"}
KEYWORDS = frozenset({"AND", "OR", "NOT"})
MAX_NESTING = 100

# All patterns are linear: no nested quantifier can match the same text two ways.
_WORD_RE = re.compile(r"[^\W_]+")  # letters and digits, Unicode-aware
_HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
_HANDLE_BODY = r"(\w+(?:[.-]\w+)*)(?:@(\w+(?:[.-]\w+)+))?"
_HANDLE_RE = re.compile(r"(?<![\w@])@" + _HANDLE_BODY)
_HANDLE_QUERY_RE = re.compile(_HANDLE_BODY)
_HASHTAG_QUERY_RE = re.compile(r"\w+")
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``position`` is the 0-based offset of the offending token."""

    def __init__(self, message: str, position: int | None = None, hint: str = "") -> None:
        text = message if position is None else f"{message} at position {position}"
        super().__init__(f"{text} ({hint})" if hint else text)
        self.message = message
        self.position = 0 if position is None else position


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _normalise_language(language: str) -> str:
    return language.casefold().replace("_", "-")


# --- Text side -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TextTokens:
    """A mention's text, tokenised once: words in order, plus sets for constant-time lookups."""

    words: tuple[str, ...]
    word_set: frozenset[str]
    hashtags: frozenset[str]  # without '#'
    handles: frozenset[str]  # local parts ("joe") and full handles ("joe@mastodon.social")


def tokenize_text(text: str) -> TextTokens:
    """Split a mention's text into casefolded words, hashtags and handles."""
    normalised = _normalise(text)
    words = tuple(_WORD_RE.findall(normalised))
    handles: set[str] = set()
    if "@" in normalised:  # skip the scan for the many mentions without handles
        for local, domain in _HANDLE_RE.findall(normalised):
            handles.add(local)
            if domain:
                handles.add(f"{local}@{domain}")
    hashtags = _HASHTAG_RE.findall(normalised) if "#" in normalised else ()
    return TextTokens(
        words=words,
        word_set=frozenset(words),
        hashtags=frozenset(hashtags),
        handles=frozenset(handles),
    )

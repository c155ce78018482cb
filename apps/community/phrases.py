"""Key phrases of what people say, and whether a mention asks for help or answers: pure text
functions, table-tested.

Phrases are bigrams of adjacent content words (no stop word of any supported language, no
digits, handles, hashtags or links between them): a cheap stand-in for noun phrases that needs no
language model. The stop words are ``apps.listening.stopwords``', as for the report's top terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from apps.listening.stopwords import ALL_STOP_WORDS, STOP_WORDS  # noqa: F401 (re-exported)

_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|(?<!\w)[@#]\w[\w.-]*")
# Words (letters, inner apostrophes and hyphens) and everything that breaks a phrase.
_APOSTROPHE = "\u2019"
_WORD = re.compile(rf"[^\W\d_]+(?:['{_APOSTROPHE}-][^\W\d_]+)*")
_BREAKING_TOKEN = re.compile(r"([^\W\d_]+(?:['-][^\W\d_]+)*)|[^\w\s]|\d+|_")
MIN_WORD_LENGTH = 3


def _fold(word: str) -> str:
    return unicodedata.normalize("NFC", word.lower().replace(_APOSTROPHE, "'"))


def is_stop_word(word: str) -> bool:
    """A word no phrase starts or ends with, in any supported language."""
    return _fold(word) in ALL_STOP_WORDS


def key_phrases(text: str, *, exclude: Iterable[str] = ()) -> set[str]:
    """The bigrams of adjacent content words in ``text``, lower case ("brake squeal").

    ``exclude`` holds words that make no topic for this client (its own name and handles, as
    ``brand_words`` gives them).
    """
    excluded = exclude if isinstance(exclude, (set, frozenset)) else set(exclude)
    folded = unicodedata.normalize("NFC", _NOISE.sub(" . ", text).lower())
    phrases: set[str] = set()
    previous = ""
    # A word comes back as itself; anything between words that breaks a phrase as "".
    for word in _BREAKING_TOKEN.findall(folded.replace(_APOSTROPHE, "'")):
        if len(word) < MIN_WORD_LENGTH or word in ALL_STOP_WORDS or word in excluded:
            previous = ""
            continue
        if previous and previous != word:
            phrases.add(f"{previous} {word}")
        previous = word
    return phrases


def brand_words(*names: str) -> set[str]:
    """The words of a client's name and handles ("Lumen Bikes", "@lumenbikes" → lumen, bikes,
    lumenbikes): they say who is talked to, not what about."""
    words: set[str] = set()
    for name in names:
        words.update(_fold(w) for w in _WORD.findall(name.replace(".", " ").replace("_", " ")))
        words.add(_fold(name.lstrip("@").split("@")[0]))
    return {w for w in words if w}


_QUESTION_WORDS = frozenset(
    """how what where when why who which can could does do is are anyone anybody should would
    cómo qué dónde cuándo por quién sabéis sabes puedo comment pourquoi où quand quel quelle
    est-ce wie was wo wann warum wer gibt kann""".split()  # noqa: SIM905
)
_ME_TOO = re.compile(
    r"\b(same here|me too|\+1|same problem|same issue|same thing|following|wondering the same|"
    r"like to know too|i'?d like to know|me pasa lo mismo|pareil|geht mir genauso|"
    r"had exactly the same)\b|^\s*\+1",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """Asks something: a question mark, or opens with a question word."""
    if "?" in text or "¿" in text:
        return True
    first = _WORD.search(text)
    return bool(first) and _fold(first.group()) in _QUESTION_WORDS and len(text.split()) > 3


def asks_for_help(*, text: str, sentiment: str) -> bool:
    """A question or a complaint, something another customer could answer.

    Until mentions carry an intent of their own, a complaint is a negative mention.
    """
    return is_question(text) or sentiment == "negative"


def is_answer(*, text: str, sentiment: str) -> bool:
    """A reply that helps: not a question of its own, not a "me too", not negative."""
    return (
        sentiment != "negative"
        and not is_question(text)
        and not _ME_TOO.search(text)
        and len(_WORD.findall(text)) >= 3
    )


def excerpt(text: str, words: int = 8) -> str:
    """The first ``words`` words of ``text`` (… when cut)."""
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")

"""Customer-care sentiment and intent: what a care team needs to know about a mention.

``CareModel`` is Rapport's default sentiment model. English texts start from VADER's compound
score (with the care words VADER lacks added to its lexicon); German, French, Spanish, Dutch
and Portuguese texts are scored with the project's lexicons (``lexicons/<code>.txt``) by the
same arithmetic as VADER (negation, boosters, "but", normalised sum). Then care cues, matched
by precompiled expressions per language, settle what word counting gets wrong:

- a service failure ("charged twice", "still waiting", "keeps losing", "no answer") is negative,
  however politely it is put;
- a question without such a failure is neutral ("can I pay in cheques with the app?");
- thanks count towards positive;
- a brand's apology to a customer ("Sorry about this, Chloe…") is neutral, not negative.

The same cues give each mention an ``intent``: ``complaint``, ``question``, ``praise`` or
``other`` (``Mention.Intent``). Accuracy per language: ``docs/sentiment.md``.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

LEXICON_DIR = Path(__file__).parent / "lexicons"
LANGUAGES = ("en", "de", "fr", "es", "nl", "pt")
FALLBACK_LANGUAGE = "en"

COMPLAINT = "complaint"
QUESTION = "question"
PRAISE = "praise"
OTHER = "other"
INTENTS = (COMPLAINT, QUESTION, PRAISE, OTHER)

# VADER's arithmetic, reused for the lexicon languages (Hutto & Gilbert, 2014).
_NORMALISE_ALPHA = 15.0
_NEGATION_FACTOR = -0.74
_BOOSTER_FACTOR = 1.3
_BEFORE_CONTRAST, _AFTER_CONTRAST = 0.5, 1.5
_NEGATION_WINDOW = 3
_SEEN_WORDS_MAX = 200_000  # words whose valence a lexicon remembers
# Care cues, on VADER's raw scale (a word like "terrible" is -2.5 to -3.4).
_COMPLAINT_WEIGHT = -3.0
_THANKS_WEIGHT = 2.0
_QUESTION_DAMPING = 0.3  # a question keeps a third of its word sentiment
# The score a complaint gets at most, and an apology at least and at most: labels that the
# thresholds of ``sentiment.label_for`` read as negative and neutral.
COMPLAINT_CEILING = -0.3
_POSITIVE, _NEGATIVE = 0.05, -0.05

_URLS_AND_HANDLES = re.compile(r"https?://\S+|www\.\S+|(?<!\w)@[\w.]+")
# A negation reaches back three words, but not across a clause ("Never thought so, great").
_CLAUSE_BREAK = re.compile(r"[.,;:!?¡¿]+")
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")
_EMOJI_VALENCE = {
    "😍": 2.8, "🥰": 2.8, "😊": 2.0, "🙂": 1.2, "😀": 2.0, "😃": 2.0, "😁": 2.0, "😄": 2.0,
    "❤": 2.5, "♥": 2.5, "💕": 2.5, "👍": 2.0, "👌": 2.0, "🙌": 2.3, "👏": 1.8, "🙏": 1.5,
    "🎉": 2.0, "🔥": 1.5, "✨": 1.2, "💯": 2.0, "⭐": 1.5, "🤩": 2.8, "😋": 2.3,
    "😡": -3.0, "😠": -2.8, "🤬": -3.2, "👎": -2.3, "😤": -2.0, "😞": -2.0, "😢": -2.0,
    "😭": -1.5, "💔": -2.5, "🙄": -1.8, "😒": -1.8, "🤦": -1.8, "😩": -2.0, "😫": -2.0,
}  # fmt: skip
_EMOJI = re.compile("|".join(map(re.escape, _EMOJI_VALENCE)))


@dataclass(frozen=True)
class Lexicon:
    """One language's words and care cues, compiled once per process."""

    code: str
    words: dict[str, float]
    prefixes: tuple[tuple[str, float], ...]
    negations: frozenset[str]
    boosters: frozenset[str]
    contrast: frozenset[str]
    complaint: CueSet
    thanks: re.Pattern | None
    apology: re.Pattern | None
    question_words: frozenset[str]
    greetings: re.Pattern | None

    seen: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def valence(self, word: str) -> float:
        """The word's valence: exact entry, else the longest ``prefix*`` entry, else 0 (looked
        up once per word and process)."""
        value = self.seen.get(word)
        if value is None:
            value = self.words.get(word)
            if value is None:
                value = next((v for prefix, v in self.prefixes if word.startswith(prefix)), 0.0)
            if len(self.seen) < _SEEN_WORDS_MAX:
                self.seen[word] = value
        return value


def _sections(path: Path) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("# "):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is None:
            raise ValueError(f"{path.name}: text before the first [section]")
        else:
            current.append(line)
    return sections


def _union(patterns: list[str], flags: int = 0) -> re.Pattern | None:
    """One expression for a section's patterns, matched against lower-cased text (or any text,
    with ``re.IGNORECASE``). Patterns that start at a word boundary share one ``\\b``, so the
    scan skips the middles of words at once."""
    if not patterns:
        return None
    bounded = [p[2:] for p in patterns if p.startswith(r"\b") and "|" not in p]
    others = [p for p in patterns if not (p.startswith(r"\b") and "|" not in p)]
    parts = [r"\b(?:" + "|".join(f"(?:{p})" for p in bounded) + ")"] if bounded else []
    parts += [f"(?:{p})" for p in others]
    return re.compile("|".join(parts), flags)


def _top_level_alternatives(pattern: str) -> list[str]:
    parts, depth, start, escaped = [], 0, 0, False
    for at, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:at])
            start = at + 1
    return [*parts, pattern[start:]]


_LEADING_LETTERS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_KEY_LENGTH = 3  # cues are looked up by the first letters of the word they start with


def _closing(text: str, opening: int) -> int | None:
    depth, escaped = 0, False
    for at in range(opening, len(text)):
        char = text[at]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return at
    return None


def _first_letters(pattern: str) -> frozenset[str] | None:
    """The beginnings (two or three letters) of the words a cue can start with, for a cue that
    starts at a word boundary with letters; None when that cannot be read off the pattern."""
    if not pattern.startswith(r"\b"):
        return None
    body = pattern[2:]
    alternatives = [body]
    if body.startswith("("):
        close = _closing(body, 0)
        if close is None or body[close + 1 : close + 2] in ("?", "*", "{"):
            return None
        alternatives = _top_level_alternatives(body[1:close])
    keys = set()
    for alternative in alternatives:
        run = _LEADING_LETTERS.match(alternative)
        if run is None:
            return None
        letters = run.group()
        if alternative[run.end() : run.end() + 1] in ("?", "*", "{"):
            letters = letters[:-1]  # the last letter is optional
        if len(letters) < 2:
            return None
        keys.add(letters[:_KEY_LENGTH])
    return frozenset(keys)


class CueSet:
    """A section's patterns, each tried only on texts holding a word it can start with (a
    prefilter: one big alternation is tried at every word of every text, which costs more than
    scoring the text). Matched against lower-cased text."""

    def __init__(self, patterns: list[str]) -> None:
        keyed: dict[str, list[re.Pattern]] = {}
        unkeyed: list[str] = []
        for pattern in patterns:
            for alternative in _top_level_alternatives(pattern):
                words = _first_letters(alternative)
                if words is None:
                    unkeyed.append(alternative)
                    continue
                compiled = re.compile(alternative)
                for word in words:
                    keyed.setdefault(word, []).append(compiled)
        self.keyed = keyed
        self.unkeyed = _union(unkeyed)

    def count(self, text: str, words: Iterable[str]) -> int:
        """How many cues ``text`` (lower-cased; ``words`` its words) holds."""
        tried: set[int] = set()
        found = len(self.unkeyed.findall(text)) if self.unkeyed is not None else 0
        beginnings = {word[:_KEY_LENGTH] for word in words} | {word[:2] for word in words}
        for word in beginnings & self.keyed.keys():
            for pattern in self.keyed[word]:
                if id(pattern) not in tried:
                    tried.add(id(pattern))
                    found += len(pattern.findall(text))
        return found


@cache
def lexicon(code: str) -> Lexicon:
    """The lexicon of ``code`` (one of ``LANGUAGES``), parsed and compiled once."""
    sections = _sections(LEXICON_DIR / f"{code}.txt")
    words: dict[str, float] = {}
    prefixes: list[tuple[str, float]] = []
    for line in sections.get("words", []):
        term, _, value = line.rpartition(" ")
        term = term.strip().lower()
        if term.endswith("*"):
            prefixes.append((term[:-1], float(value)))
        else:
            words[term] = float(value)
    prefixes.sort(key=lambda entry: -len(entry[0]))  # the longest prefix wins

    def word_set(name: str) -> frozenset[str]:
        return frozenset(w.lower() for line in sections.get(name, []) for w in line.split())

    return Lexicon(
        code=code,
        words=words,
        prefixes=tuple(prefixes),
        negations=word_set("negations"),
        boosters=word_set("boosters"),
        contrast=word_set("contrast"),
        complaint=CueSet(sections.get("complaint", [])),
        thanks=_union(sections.get("thanks", [])),
        apology=_union(sections.get("apology", [])),
        question_words=word_set("question"),
        # masked in the text as written (VADER reads capitals as emphasis)
        greetings=_union(sections.get("greetings", []), re.IGNORECASE),
    )


def lexicon_for(language: str | None) -> Lexicon:
    """The lexicon of a mention's language; English when the language is blank or unsupported."""
    code = (language or "").split("-")[0].lower()
    return lexicon(code if code in LANGUAGES else FALLBACK_LANGUAGE)


def _normalise(raw: float) -> float:
    return raw / math.sqrt(raw * raw + _NORMALISE_ALPHA)


def _raw(compound: float) -> float:
    """VADER's compound score back on its raw scale (the inverse of ``_normalise``)."""
    compound = max(-0.9999, min(0.9999, compound))
    return compound * math.sqrt(_NORMALISE_ALPHA / (1 - compound * compound))


def _mask(text: str, lex: Lexicon) -> str:
    """URLs and handles as a bare "@" (word positions kept); greetings, which are no praise,
    as "…"."""
    masked = _URLS_AND_HANDLES.sub("@", text)
    if lex.greetings is not None:
        masked = lex.greetings.sub("…", masked)
    return masked


def lexicon_raw_score(text: str, lex: Lexicon) -> float:
    """Sum of word valences with VADER's negation, booster and "but" rules (raw scale)."""
    tokens, clauses = [], []
    for clause, part in enumerate(_CLAUSE_BREAK.split(text.lower())):
        words = _WORD.findall(part)
        tokens += words
        clauses += [clause] * len(words)
    contrast_at = next((i for i, t in enumerate(tokens) if t in lex.contrast), None)
    total = 0.0
    for index, token in enumerate(tokens):
        value = lex.valence(token)
        if not value:
            continue
        clause = clauses[index]
        window = [
            word
            for at, word in enumerate(
                tokens[max(0, index - _NEGATION_WINDOW) : index],
                start=max(0, index - _NEGATION_WINDOW),
            )
            if clauses[at] == clause
        ]
        if any(word in lex.negations for word in window):
            value *= _NEGATION_FACTOR
        if index and tokens[index - 1] in lex.boosters:
            value *= _BOOSTER_FACTOR
        if contrast_at is not None:
            value *= _BEFORE_CONTRAST if index < contrast_at else _AFTER_CONTRAST
        total += value
    total += sum(_EMOJI_VALENCE[e] for e in _EMOJI.findall(text))
    if total and "!" in text:
        total += math.copysign(0.292 * min(text.count("!"), 4), total)
    return total


@dataclass(frozen=True)
class CareSignal:
    """What the care model found in one text."""

    score: float
    intent: str


def _is_question(text: str, lex: Lexicon) -> bool:
    if "?" in text or "¿" in text:
        return True
    first = _WORD.search(text)
    return bool(first and first.group() in lex.question_words)


def care_signal(text: str, lex: Lexicon, word_raw: float) -> CareSignal:
    """Combine a text's word sentiment (raw scale) with its care cues into a score and intent.

    ``text`` has URLs and handles masked.
    """
    text = text.lower()
    apology = lex.apology is not None and lex.apology.search(text) is not None
    if apology:
        return CareSignal(score=0.0, intent=OTHER)
    complaints = lex.complaint.count(text, _WORD.findall(text))
    thanks = lex.thanks is not None and lex.thanks.search(text) is not None
    question = _is_question(text, lex)
    raw = word_raw
    if complaints:
        raw += _COMPLAINT_WEIGHT * min(complaints, 2)
    elif question:
        raw *= _QUESTION_DAMPING
    if thanks and not complaints:
        raw += _THANKS_WEIGHT
    score = _normalise(raw) if raw else 0.0
    if complaints:
        return CareSignal(score=min(score, COMPLAINT_CEILING), intent=COMPLAINT)
    if score <= _NEGATIVE:
        return CareSignal(score=score, intent=COMPLAINT)
    if question:
        return CareSignal(score=score, intent=QUESTION)
    if score >= _POSITIVE:
        return CareSignal(score=score, intent=PRAISE)
    return CareSignal(score=score, intent=OTHER)


class CareModel:
    """The default ``SentimentModel``: VADER for English, lexicons for five more languages,
    and customer-care cues for all six. ``score(texts, languages)``; ``analyse`` adds intent."""

    def __init__(self) -> None:
        self._vader: Callable[[str], dict[str, float]] | None = None
        self._lock = threading.Lock()

    def _load_vader(self) -> Callable[[str], dict[str, float]]:
        with self._lock:
            if self._vader is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                analyzer = SentimentIntensityAnalyzer()
                english = lexicon("en")
                analyzer.lexicon.update(english.words)
                self._vader = analyzer.polarity_scores
            return self._vader

    def analyse(
        self, texts: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> list[CareSignal]:
        """Score and intent of each text, in input order; ``languages`` as ISO 639-1 codes."""
        if languages is None:
            languages = [None] * len(texts)
        vader = self._vader
        signals = []
        for text, language in zip(texts, languages, strict=True):
            lex = lexicon_for(language)
            masked = _mask(text, lex)
            if lex.code == "en":
                vader = vader or self._load_vader()
                word_raw = _raw(vader(masked)["compound"])
            else:
                word_raw = lexicon_raw_score(masked, lex)
            signals.append(care_signal(masked, lex, word_raw))
        return signals

    def score(self, texts: list[str], languages: Sequence[str | None] | None = None) -> list[float]:
        """Each text's score from -1 to 1 (``SentimentModel``)."""
        return [signal.score for signal in self.analyse(texts, languages)]


def intents_for(
    texts: Sequence[str], languages: Sequence[str | None], scores: Sequence[float | None]
) -> list[str]:
    """Intents from the care cues and a score given by another model (``score`` only)."""
    result = []
    for text, language, score in zip(texts, languages, scores, strict=True):
        lex = lexicon_for(language)
        masked = _mask(text, lex)
        raw = _raw(score) if score else 0.0
        result.append(care_signal(masked, lex, raw).intent)
    return result

"""Language of mentions: an ISO 639-1 code from py3langid, or "" when a text is too short to tell.

The rule for "too short": remove URLs, @handles and #hashtags, then count the words (runs of
Unicode letters; emoji, digits and punctuation are not letters). Fewer than ``MIN_WORDS`` words
or fewer than ``MIN_LETTERS`` letters gives "". Scripts written without spaces between words
(Chinese, Japanese, Thai, Lao, Khmer, Burmese) skip the word count and need only the letters.
Accuracy and speed are in ``docs/sentiment.md``.
"""

from __future__ import annotations

import re
import threading
from collections import Counter

import numpy as np
from py3langid.langid import MODEL_FILE, RAW_FLOOR, LanguageIdentifier

MIN_WORDS = 3
MAX_CLASSIFIED_CHARACTERS = 300
MIN_LETTERS = 12

# py3langid also knows a few varieties by ISO 639-3 code; these fold into their ISO 639-1
# language. Its other three-letter labels (no ISO 639-1 code, or "zxx" for no linguistic
# content) are left out of the model, so it picks among languages we can name.
_ALIASES = {
    "ary": "ar",  # Moroccan Arabic
    "arz": "ar",  # Egyptian Arabic
    "gug": "gn",  # Paraguayan Guaraní
    "kik": "ki",  # Kikuyu
    "uzs": "uz",  # Southern Uzbek
    "wuu": "zh",  # Wu Chinese
    "yue": "zh",  # Cantonese
}

# The languages a mention is told apart among: the most used on social platforms (about 95 % of
# posts). Fewer candidates make each detection about twice as fast as with all 97 of the model,
# and keep rare look-alikes (Catalan for Spanish, Nigerian Pidgin for English) from winning.
LANGUAGES = (
    "ar", "bg", "bn", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "he",
    "hi", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "nl", "no", "pl", "pt", "ro",
    "ru", "sk", "sl", "sr", "sv", "sw", "ta", "th", "tl", "tr", "uk", "ur", "vi", "zh",
)  # fmt: skip

_NOISE = re.compile(r"https?://\S+|www\.\S+|(?<!\w)[@#]\w+")
_WORD = re.compile(r"[^\W\d_]+")
_UNSPACED_SCRIPT = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)

_identifier: LanguageIdentifier | None = None
_identifier_lock = threading.Lock()
_tables: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # its byte automaton, as arrays
_FEW = 8  # fewer texts than this are classified one by one


def _load_identifier() -> LanguageIdentifier:
    """Load the model once (about a second), restricted to ``LANGUAGES`` and their varieties."""
    global _identifier
    with _identifier_lock:
        if _identifier is None:
            identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
            identifier.set_languages(
                [
                    label
                    for label in identifier.labels
                    if label in LANGUAGES or _ALIASES.get(label) in LANGUAGES
                ]
            )
            _identifier = identifier
        return _identifier


def _classified_part(text: str) -> str | None:
    """What of ``text`` is classified (None: too short to tell). The first few sentences tell
    the language as well as the whole text, at a fraction of the cost for long posts."""
    cleaned = _NOISE.sub(" ", text)
    words = _WORD.findall(cleaned)
    letters = sum(map(len, words))
    if letters < MIN_LETTERS or (len(words) < MIN_WORDS and not _UNSPACED_SCRIPT.search(cleaned)):
        return None
    return cleaned[:MAX_CLASSIFIED_CHARACTERS]


def detect_language(text: str) -> str:
    """The ISO 639-1 code of ``text``'s language, or ``""`` if it is too short to tell."""
    return detect_languages([text])[0]


def detect_languages(texts: list[str]) -> list[str]:
    """``detect_language`` for each text, in input order: py3langid's own scores, with its byte
    automaton walked for all texts at once (numpy) instead of byte by byte for each."""
    identifier = _identifier or _load_identifier()
    result = [""] * len(texts)
    todo = [(index, part) for index, text in enumerate(texts) if (part := _classified_part(text))]
    if len(todo) < _FEW:  # numpy's set-up would cost more than it saves
        labels = [identifier.classify(part)[0] for _, part in todo]
    else:
        encoded = [identifier._encode(part) for _, part in todo]
        labels = [_label(identifier, features) for features in _features(identifier, encoded)]
    for (index, _), label in zip(todo, labels, strict=True):
        result[index] = _ALIASES.get(label, label)
    return result


def _label(identifier: LanguageIdentifier, features: list[int]) -> str:
    """py3langid's ``classify`` from a text's feature ids (in text order), score for score."""
    if not features:
        return identifier.classify(b"")[0]
    scores = identifier._sparse_score(Counter(features), identifier.nb_ptc)
    for first, dupe in identifier._alias_pairs:  # as LanguageIdentifier._decide
        scores[first] = max(scores[first], scores[dupe])
        scores[dupe] = RAW_FLOOR
    return identifier.nb_classes[int(scores.argmax())]


def _features(identifier: LanguageIdentifier, encoded: list[bytes]) -> list[list[int]]:
    """The feature ids py3langid's automaton emits over each of ``encoded``, in byte order
    (``py3langid.langid.visit_counts`` before counting), one step of every text at a time."""
    global _tables
    if not encoded:
        return []
    if _tables is None:
        _tables = (
            np.frombuffer(identifier.tk_nextmove, dtype=np.uint32).astype(np.intp),
            np.asarray(identifier._rowbase, dtype=np.intp),
            np.asarray(identifier.tk_output, dtype=np.intp),
        )
    nextmove, rowbase, output = _tables
    lengths = np.fromiter(map(len, encoded), dtype=np.intp, count=len(encoded))
    order = np.argsort(-lengths, kind="stable")  # longest first: the texts still walking
    ordered = lengths[order]
    data = np.zeros((len(encoded), int(ordered[0])), dtype=np.intp)
    for row, index in enumerate(order.tolist()):
        data[row, : ordered[row]] = np.frombuffer(encoded[index], dtype=np.uint8)
    emitted = np.full(data.shape, -1, dtype=np.intp)
    state = np.zeros(len(encoded), dtype=np.intp)
    walking = len(encoded)
    for step in range(data.shape[1]):
        while ordered[walking - 1] <= step:
            walking -= 1
        moved = nextmove[rowbase[state[:walking]] + data[:walking, step]]
        state[:walking] = moved
        emitted[:walking, step] = output[moved]
    features: list[list[int]] = [[]] * len(encoded)
    for row, index in enumerate(order.tolist()):
        ids = emitted[row, : ordered[row]]
        features[index] = ids[ids >= 0].tolist()
    return features

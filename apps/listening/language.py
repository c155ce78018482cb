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

from py3langid.langid import MODEL_FILE, LanguageIdentifier

MIN_WORDS = 3
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

_NOISE = re.compile(r"https?://\S+|www\.\S+|(?<!\w)[@#]\w+")
_WORD = re.compile(r"[^\W\d_]+")
_UNSPACED_SCRIPT = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)

_identifier: LanguageIdentifier | None = None
_identifier_lock = threading.Lock()


def _load_identifier() -> LanguageIdentifier:
    """Load the model once (about a second), restricted to languages with an ISO 639-1 code."""
    global _identifier
    with _identifier_lock:
        if _identifier is None:
            identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
            identifier.set_languages(
                [label for label in identifier.labels if len(label) == 2 or label in _ALIASES]
            )
            _identifier = identifier
        return _identifier


def detect_language(text: str) -> str:
    """The ISO 639-1 code of ``text``'s language, or ``""`` if it is too short to tell."""
    identifier = _identifier or _load_identifier()
    cleaned = _NOISE.sub(" ", text)
    words = _WORD.findall(cleaned)
    letters = sum(map(len, words))
    if letters < MIN_LETTERS or (len(words) < MIN_WORDS and not _UNSPACED_SCRIPT.search(cleaned)):
        return ""
    label = identifier.classify(cleaned)[0]
    return _ALIASES.get(label, label)


def detect_languages(texts: list[str]) -> list[str]:
    """``detect_language`` for each text, in input order."""
    detect = detect_language
    return [detect(text) for text in texts]

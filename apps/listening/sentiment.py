"""Sentiment of mentions: a score from -1 to 1 and a label, behind a small interface.

The default model is ``care.CareModel`` (customer-care cues over VADER and six languages'
lexicons). Set ``RAPPORT_SENTIMENT_MODEL`` to the dotted path of another class with the same
``score`` method to replace it; a model whose ``score`` also takes ``languages`` is given each
text's language. Accuracy figures are in ``docs/sentiment.md``.
"""

from __future__ import annotations

import inspect
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

DEFAULT_MODEL = "apps.listening.care.CareModel"

# VADER's own cut-offs for its compound score (Hutto & Gilbert, 2014): a score of at least
# POSITIVE_THRESHOLD is positive, at most NEGATIVE_THRESHOLD negative, anything between neutral.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05

POSITIVE = "positive"
NEUTRAL = "neutral"
NEGATIVE = "negative"

# URLs and @handles, each replaced by a bare "@" before VADER scores the text. VADER never
# matches "@" in its lexicon, so a brand whose handle is a word (@Joy, @Smile) no longer tilts
# every mention of it, while VADER's word-distance rules (negation up to three words back,
# "but") still see the same positions. Hashtags are kept: "#fail" carries sentiment.
_URLS_AND_HANDLES = re.compile(r"https?://\S+|www\.\S+|(?<!\w)@\w+")


@runtime_checkable
class SentimentModel(Protocol):
    """Scores a batch of texts, in input order, each from -1 (negative) to 1 (positive)."""

    def score(self, texts: list[str]) -> list[float]: ...


class VaderModel:
    """VADER's compound score; the analyzer is created on first use and then reused."""

    def __init__(self) -> None:
        self._polarity_scores: Callable[[str], dict[str, float]] | None = None
        self._lock = threading.Lock()

    def _load(self) -> Callable[[str], dict[str, float]]:
        with self._lock:
            if self._polarity_scores is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                self._polarity_scores = SentimentIntensityAnalyzer().polarity_scores
            return self._polarity_scores

    def score(self, texts: list[str]) -> list[float]:
        polarity_scores = self._polarity_scores or self._load()
        mask = _URLS_AND_HANDLES.sub
        return [polarity_scores(mask("@", text))["compound"] for text in texts]


_models: dict[str, SentimentModel] = {}
_models_lock = threading.Lock()


def get_sentiment_model() -> SentimentModel:
    """The model named by ``RAPPORT_SENTIMENT_MODEL``, one instance per dotted path."""
    path: str = getattr(settings, "RAPPORT_SENTIMENT_MODEL", DEFAULT_MODEL)
    model = _models.get(path)
    if model is None:
        with _models_lock:
            model = _models.get(path)
            if model is None:
                model = _models[path] = _build(path)
    return model


def _build(path: str) -> SentimentModel:
    try:
        model: Any = import_string(path)()
    except ImportError as error:
        raise ImproperlyConfigured(f"RAPPORT_SENTIMENT_MODEL: cannot import {path!r}") from error
    if not isinstance(model, SentimentModel):
        raise ImproperlyConfigured(f"RAPPORT_SENTIMENT_MODEL: {path!r} has no score(texts) method")
    return model


def label_for(score: float | None) -> str:
    """``"positive"``, ``"neutral"`` or ``"negative"`` for a score; ``""`` when there is none.

    The values are those of ``Mention.Sentiment``; the thresholds are the module constants.
    """
    if score is None:
        return ""
    if score >= POSITIVE_THRESHOLD:
        return POSITIVE
    if score <= NEGATIVE_THRESHOLD:
        return NEGATIVE
    return NEUTRAL


def _takes_languages(model: SentimentModel) -> bool:
    try:
        return "languages" in inspect.signature(model.score).parameters
    except (TypeError, ValueError):
        return False


def score_and_intent(
    texts: list[str], languages: Sequence[str | None]
) -> tuple[list[float], list[str]]:
    """Each text's score and intent (``Mention.Intent``), by the configured model.

    A model with ``analyse`` (``CareModel``) gives both; any other model gives the scores (with
    the languages if its ``score`` takes them) and the care cues give the intents.
    """
    from .care import intents_for

    model = get_sentiment_model()
    analyse = getattr(model, "analyse", None)
    if analyse is not None:
        signals = analyse(texts, languages)
        return [s.score for s in signals], [s.intent for s in signals]
    if _takes_languages(model):
        scores = model.score(texts, languages=list(languages))  # type: ignore[call-arg]
    else:
        scores = model.score(texts)
    return scores, intents_for(texts, languages, scores)

"""How well Rapport reads mentions: sentiment and intent per language on the labelled care set,
next to VADER on the same texts (the baseline), and spam detection on its own labelled set.

    python benchmarks/signals.py

Sentiment is 3-class accuracy (positive, neutral, negative) against the labels of
``tests/listening/data/care_eval.csv``. VADER's intent, for comparison, is what its label alone
says: a question mark makes a question, else negative → complaint, positive → praise, neutral →
other. The speed lines time each model on the same texts, best of three passes.
Spam precision and recall come from ``benchmarks/spam.py``'s ``evaluate()`` when it exists
(``spam_figures``). Figures are recorded in ``docs/sentiment.md``.
"""

from __future__ import annotations

import csv
import importlib
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CARE_SET = ROOT / "tests" / "listening" / "data" / "care_eval.csv"


def vader_intent(text: str, label: str) -> str:
    if "?" in text:
        return "question"
    return {"negative": "complaint", "positive": "praise"}.get(label, "other")


def best_of(passes: int, work) -> float:
    best = float("inf")
    for _ in range(passes):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def spam_figures() -> object | None:
    """The spam benchmark's ``evaluate()`` (precision and recall on its labelled set), or None
    without ``benchmarks/spam.py``."""
    try:
        spam = importlib.import_module("spam")
    except ModuleNotFoundError as error:
        if error.name != "spam":
            raise
        return None
    return spam.evaluate()


def main() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings.dev")
    import django

    django.setup()
    from apps.listening.care import LANGUAGES, CareModel
    from apps.listening.sentiment import VaderModel, label_for

    with CARE_SET.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts, languages = [r["text"] for r in rows], [r["language"] for r in rows]
    care, vader = CareModel(), VaderModel()
    signals = care.analyse(texts, languages)
    vader_scores = vader.score(texts)

    seen, right = Counter(), Counter()
    for row, signal, vader_score in zip(rows, signals, vader_scores, strict=True):
        vader_label = label_for(vader_score)
        for key in (row["language"], "all"):
            seen[key] += 1
            right[key, "care sentiment"] += label_for(signal.score) == row["sentiment"]
            right[key, "vader sentiment"] += vader_label == row["sentiment"]
            right[key, "care intent"] += signal.intent == row["intent"]
            right[key, "vader intent"] += vader_intent(row["text"], vader_label) == row["intent"]

    print(f"{len(rows):,} labelled texts ({CARE_SET.relative_to(ROOT)})")
    header = ("language", "texts", "sentiment", "VADER", "intent", "VADER intent")
    print("  " + "".join(f"{h:>14}" for h in header))
    for key in (*LANGUAGES, "all"):

        def share(what: str, key: str = key) -> str:
            return f"{right[key, what] / seen[key]:.3f}"

        cells = (key, str(seen[key]), share("care sentiment"), share("vader sentiment"),
                 share("care intent"), share("vader intent"))  # fmt: skip
        print("  " + "".join(f"{c:>14}" for c in cells))

    care_seconds = best_of(3, lambda: care.analyse(texts, languages))
    vader_seconds = best_of(3, lambda: vader.score(texts))
    print(f"speed: CareModel {care_seconds / len(texts) * 1e6:.0f} µs/text (score and intent), "
          f"VADER {vader_seconds / len(texts) * 1e6:.0f} µs/text; "
          f"ratio {care_seconds / vader_seconds:.2f}")  # fmt: skip

    spam = spam_figures()
    if spam is None:
        print("spam: benchmarks/spam.py not present")
        return
    print(
        f"\nspam, {spam['items']} labelled posts ({spam['spam']} spam), "
        f"targets precision {spam['targets']['precision']}, recall {spam['targets']['recall']}"
    )
    print(f"{'language':>16} {'items':>13} {'precision':>13} {'recall':>13}")
    rows = [*spam["languages"].items(), ("all", spam), ("keywords before", spam["keywords_before"])]
    for language, figures in rows:
        print(f"{language:>16} {figures['items']:>13} {figures['precision']:>13.3f} "
              f"{figures['recall']:>13.3f}")  # fmt: skip


if __name__ == "__main__":
    main()

"""Spam detection measured on the project's labelled set, next to the keyword list it replaced.

    python benchmarks/spam.py

Reads ``tests/listening/data/spam_eval.csv`` (written for the project: customers' posts,
questions, complaints, reviews and replies, and the spam that lands in brands' threads —
follower sales, crypto and money pitches, fake prizes, phishing, dating and self-promotion —
in English, German, French, Spanish, Dutch and Portuguese, in the styles of the platforms Rapport
reads). Each row gives what the page tells ingest about the author: followers (empty when the
platform does not say), whether it is the author's first mention, and how many other authors
posted the same text nearby. Scores every row with ``apps.listening.spam`` and, as the reference,
with the keyword list ingest used before (``KEYWORDS_BEFORE``), and prints precision and recall
overall and per language. ``evaluate()`` returns the figures (``benchmarks/signals.py`` prints
them too); targets: precision ≥ 0.95, recall ≥ 0.80.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "listening" / "data" / "spam_eval.csv"
PRECISION_TARGET, RECALL_TARGET = 0.95, 0.80

# The rule ingest applied before (apps/listening/enrich.py ``is_obvious_spam``), as reference.
KEYWORDS_BEFORE = (
    "free followers", "buy followers", "crypto giveaway", "double your bitcoin", "dm me to earn",
    "earn $", "work from home and earn", "click the link in my bio", "check my profile for",
    "100% guaranteed profit", "limited offer!!!", "hot singles",
)  # fmt: skip


def keywords_before(text: str) -> bool:
    lowered = text.lower()
    return (
        any(phrase in lowered for phrase in KEYWORDS_BEFORE)
        or len(re.findall(r"https?://", text, re.IGNORECASE)) > 3
        or text.count("#") > 10
    )


def load(path: Path = DATA) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _figures(pairs: list[tuple[bool, bool]]) -> dict:
    """Precision, recall and counts of (predicted, actual) pairs."""
    tp = sum(1 for predicted, actual in pairs if predicted and actual)
    fp = sum(1 for predicted, actual in pairs if predicted and not actual)
    fn = sum(1 for predicted, actual in pairs if actual and not predicted)
    return {
        "items": len(pairs),
        "spam": tp + fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / (tp + fn), 4) if tp + fn else None,
        "false_positives": fp,
        "false_negatives": fn,
    }


def evaluate(path: Path = DATA) -> dict:
    """Spam precision and recall on the labelled set, overall and per language, for the scoring
    of ``apps.listening.spam`` and for the keyword list it replaced."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from apps.listening.spam import AuthorFacts, is_spam

    rows = load(path)
    scored, before = [], []
    by_language: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for row in rows:
        facts = AuthorFacts(
            followers=int(row["followers"]) if row["followers"] else None,
            is_new=row["author_is_new"] == "1",
            same_text_authors=int(row["same_text_authors"]),
        )
        actual = row["label"] == "spam"
        pair = (is_spam(row["text"], facts), actual)
        scored.append(pair)
        before.append((keywords_before(row["text"]), actual))
        by_language[row["language"]].append(pair)
    return {
        **_figures(scored),
        "languages": {language: _figures(pairs) for language, pairs in sorted(by_language.items())},
        "keywords_before": _figures(before),
        "targets": {"precision": PRECISION_TARGET, "recall": RECALL_TARGET},
    }


def main() -> None:
    figures = evaluate()

    def show(value) -> str:
        return "   —" if value is None else f"{value:.2f}"

    print(f"spam detection on {figures['items']} labelled items ({figures['spam']} spam), "
          f"{DATA.relative_to(ROOT)}")  # fmt: skip
    print(f"  {'':<34} {'precision':>9} {'recall':>7}")
    reference = figures["keywords_before"]
    print(f"  {'apps.listening.spam':<34} {show(figures['precision']):>9} "
          f"{show(figures['recall']):>7}")  # fmt: skip
    print(f"  {'reference: keyword list before':<34} {show(reference['precision']):>9} "
          f"{show(reference['recall']):>7}")  # fmt: skip
    for language, row in figures["languages"].items():
        label = f"  {language} ({row['items']} items)"
        print(f"  {label:<34} {show(row['precision']):>9} {show(row['recall']):>7}")
    met = figures["precision"] >= PRECISION_TARGET and figures["recall"] >= RECALL_TARGET
    print(f"targets precision ≥ {PRECISION_TARGET}, recall ≥ {RECALL_TARGET}: "
          f"{'met' if met else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()

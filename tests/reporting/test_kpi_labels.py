"""Every headline figure is named in the report's languages (the PDF and the e-mail)."""

from __future__ import annotations

import pytest
from django.utils import translation

from apps.reporting.kpis import KPIS, headline_rows

WORDS = {"de": "Echtzeit", "fr": "temps réel", "es": "tiempo real"}  # "wall clock"


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_every_figure_has_its_name_in_the_language(language):
    report = {"previous": {}}
    with translation.override(language):
        labels = [label for label, *_ in headline_rows(report)]
    untranslated = [
        kpi.label for kpi, label in zip(KPIS, labels, strict=True)
        if label == kpi.label and kpi.label not in ("Mentions", "Share of voice")
    ]  # fmt: skip
    assert untranslated == []
    assert sum(WORDS[language] in label for label in labels) == 4  # the wall-clock times

"""A card's times in words (agency/templating.py's filters) say exactly what Django's
``timesince`` and ``timeuntil`` say, in every language, made once per minutes and language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import engines
from django.template.defaultfilters import timesince_filter, timeuntil_filter
from django.utils import timezone, translation

DIFFERENCES = [
    timedelta(seconds=30), timedelta(minutes=1, seconds=59), timedelta(hours=3, minutes=5),
    timedelta(days=1, hours=23, minutes=59), timedelta(days=27, hours=23, minutes=59),
    timedelta(days=28), timedelta(days=45, hours=2), timedelta(days=400), -timedelta(hours=2),
]  # fmt: skip


def words(text: str, moment, given: str | None) -> str:
    """``text`` (a Jinja expression of ``t``) as a card draws it, told the language or not."""
    context = {"t": moment} | ({"language": given} if given else {})
    return engines["jinja2"].from_string(f"{{{{ {text} }}}}").render(context)


@pytest.mark.parametrize("language", ["en", "de", "fr"])
@pytest.mark.parametrize("told", [True, False], ids=["told the language", "asking it"])
def test_times_in_words_are_djangos(language, told):
    now = timezone.now()
    given = language if told else None
    with translation.override(language):
        for difference in DIFFERENCES:
            for _ in range(2):  # the second time from what was made the first
                ago, ahead = now - difference, now + difference
                assert words("t|timesince", ago, given) == timesince_filter(ago)
                assert words("t|timeuntil", ahead, given) == timeuntil_filter(ahead)
        assert words("t|timesince", None, given) == words("t|timeuntil", None, given) == ""

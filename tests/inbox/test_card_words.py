"""A card's times in words (agency/templating.py's filters) say exactly what Django's
``timesince`` and ``timeuntil`` say, in every language, made once per minutes and language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.defaultfilters import timesince_filter, timeuntil_filter
from django.utils import timezone, translation

from agency.templating import since, until

DIFFERENCES = [
    timedelta(seconds=30), timedelta(minutes=1, seconds=59), timedelta(hours=3, minutes=5),
    timedelta(days=1, hours=23, minutes=59), timedelta(days=27, hours=23, minutes=59),
    timedelta(days=28), timedelta(days=45, hours=2), timedelta(days=400), -timedelta(hours=2),
]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_times_in_words_are_djangos(language):
    now = timezone.now()
    with translation.override(language):
        for difference in DIFFERENCES:
            for _ in range(2):  # the second time from what was made the first
                assert since(now - difference) == timesince_filter(now - difference)
                assert until(now + difference) == timeuntil_filter(now + difference)
    assert since(None) == until(None) == ""

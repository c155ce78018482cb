"""A point in time as people read it (``formatting.moment``): the day in the active language,
the time and the zone named — the same in every language after any other was written."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import translation

from apps.core.formatting import moment

WHEN = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


def test_a_moment_is_written_in_the_active_language_with_its_zone():
    written = {}
    for language in ("en", "de", "fr", "en", "de"):  # again: from what was made the first time
        with translation.override(language):
            written.setdefault(language, set()).add(moment(WHEN, "Europe/Berlin"))
    assert written["en"] == {"Fri 4 Dec 2026, 18:00 Europe/Berlin"}
    assert written["de"] == {"Fr 4. Dez 2026, 18:00 Europe/Berlin"}
    assert written["fr"] == {"ven 4 Déc 2026, 18:00 Europe/Berlin"}
    assert moment(None, "UTC") == "\u2013"

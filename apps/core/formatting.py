"""Figures and times as people read them, shared by the pages, the PDF and the e-mails: at most
two decimals, whole percentages, one date/time format per language with the time zone named."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils import formats, translation

DASH = "\u2013"  # en dash
# One format per language (Django date-format letters) for the day; the time (``H:i``) follows
# it after a comma, then the time zone, always named.
DATETIME_FORMATS = {
    "en": "D j M Y",
    "de": "D j. M Y",
    "fr": "D j M Y",
    "es": "D j M Y",
    "nl": "D j M Y",
    "pt": "D j M Y",
}
DATE_FORMATS = {"en": "j M Y", "de": "j. M Y"}


def _language() -> str:
    return (translation.get_language() or "en").split("-")[0]


def localised(text: str) -> str:
    """A number written the English way (``1,234.5``) with the active language's separators
    (``1.234,5`` in German)."""
    if _language() == "en":
        return text
    thousands = formats.get_format("THOUSAND_SEPARATOR")
    decimal = formats.get_format("DECIMAL_SEPARATOR")
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def number(value: float | int | None, decimals: int = 2) -> str:
    """``1,234.5``: thousands separated, at most ``decimals`` decimals, no trailing zeros (in
    the active language's way of writing numbers)."""
    if value is None:
        return DASH
    text = f"{float(value):,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return localised("0" if text == "-0" else text)


def percent(share: float | None) -> str:
    """A share (0..1) as a whole percentage: ``0.9333`` → ``93%``."""
    return DASH if share is None else f"{round(share * 100):.0f}%"


def minutes(value: float | None) -> str:
    return DASH if value is None else f"{number(value)} min"


def day(value: date | str | None) -> str:
    """A calendar day (or ``YYYY-MM-DD``): ``4 Dec 2026``."""
    if value in (None, ""):
        return DASH
    if isinstance(value, str):
        value = date.fromisoformat(value)
    language = _language()
    return formats.date_format(value, DATE_FORMATS.get(language, DATE_FORMATS["en"]))


def moment(value: datetime | None, zone: str | None, language: str | None = None) -> str:
    """A point in time in time zone ``zone`` (UTC without one), the zone named:
    ``Fri 4 Dec 2026, 18:00 Europe/Berlin`` (in ``language``, else the active one)."""
    if value is None:
        return DASH
    zone = zone or "UTC"
    local = value.astimezone(ZoneInfo(zone))
    day = _named_day(local.date(), language or translation.get_language())
    return f"{day}, {local:%H:%M} {zone}"


@lru_cache(maxsize=512)
def _named_day(value: date, language: str | None) -> str:
    """``Fri 4 Dec 2026`` in ``language`` (the active one, whose names it uses): a list's times
    share a few days."""
    pattern = DATETIME_FORMATS.get(_language(), DATETIME_FORMATS["en"])
    return formats.date_format(value, pattern)

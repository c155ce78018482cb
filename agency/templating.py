"""The Jinja2 environment of the few partials rendered many times per page (the inbox's mention
cards): Jinja compiles a template to Python, several times faster than Django's template
language for a list of fifty cards. The partials live beside the Django templates as ``*.jinja``
and are rendered through ``apps.inbox``'s ``{% mention_card %}`` tag, so pages stay Django
templates. The filters say what the Django templates' filters say; several keep what they made
once (a label, an address, a wait in words: the waits are tested equal to Django's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.template.defaultfilters import floatformat
from django.template.defaultfilters import truncatechars as django_truncatechars
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.timezone import localtime
from django.utils.translation import get_language
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from apps.accounts.selectors import person_shown_to
from apps.core import formatting

_PK = 987654321  # stands for the key in an address made once


@lru_cache(maxsize=64)
def _choice_labels(model, field: str, language: str | None) -> dict:
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}


@lru_cache(maxsize=64)
def _address_of(name: str, prefix: str) -> str:
    return reverse(name, args=[_PK]).replace(str(_PK), "{}")


def url(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a view taking one integer: the address is made once."""
    return _address_of(name, get_script_prefix()).format(int(pk))


def truncatechars(text: str, length: int) -> str:
    """Django's ``truncatechars``, which first normalises the text: most need no cut."""
    return text if len(text) <= length else django_truncatechars(text, length)


# Below four weeks Django's ``timesince`` depends on the difference alone (no month is whole),
# and it writes whole minutes at most: a card's "3 hours, 5 minutes" is made once per minutes
# and language.
_MONTHLESS = timedelta(days=28)


@lru_cache(maxsize=4096)
def _minutes_in_words(minutes: int, language: str | None) -> str:
    now = datetime(2001, 1, 1, tzinfo=UTC)
    return timesince(now - timedelta(minutes=minutes), now)


def _language(context: Context) -> str | None:
    """The active language: as the render was given it (``language``: asked once for fifty
    cards' labels, waits and days), else asked now."""
    return context.get("language") or get_language()


def _between(earlier: datetime, later: datetime, language: str | None) -> str:
    if timedelta(0) <= later - earlier < _MONTHLESS:
        return _minutes_in_words((later - earlier) // timedelta(minutes=1), language)
    return timesince(earlier, later)


@pass_context
def since(context: Context, value: datetime | None) -> str:
    """Django's ``timesince`` filter: how long ago ``value`` was, in words."""
    return _between(value, timezone.now(), _language(context)) if value else ""


@pass_context
def until(context: Context, value: datetime | None) -> str:
    """Django's ``timeuntil`` filter: how long until ``value``, in words."""
    return _between(timezone.now(), value, _language(context)) if value else ""


@pass_context
def label(context: Context, instance, field: str) -> str:
    """``instance.get_<field>_display()``, from a table of labels made once per language."""
    value = getattr(instance, field)
    return _choice_labels(type(instance), field, _language(context)).get(value, value)


@pass_context
def when(context: Context, value: datetime | None, zone: str | None) -> str:
    """``formatting.moment``: a point in time in ``zone``, the zone named."""
    return formatting.moment(value, zone, language=_language(context))


def environment(**options) -> Environment:
    options.pop("autoescape", None)
    env = Environment(**options, autoescape=True)
    env.globals["url"] = url
    env.filters.update({
        "truncatechars": truncatechars,
        "timesince": since,
        "timeuntil": until,
        "floatformat": floatformat,
        "iso": lambda moment: localtime(moment).isoformat(),  # Django's ``date:"c"``
        "when": when,
        "label": label,
        "shown_to": lambda person, viewer: person_shown_to(person=person, viewer=viewer),
    })  # fmt: skip
    return env

"""The Jinja2 environment of the few partials rendered many times per page (the inbox's mention
cards): Jinja compiles a template to Python, several times faster than Django's template
language for a list of fifty cards. The partials live beside the Django templates as ``*.jinja``
and are rendered through ``apps.inbox``'s ``{% mention_card %}`` tag, so pages stay Django
templates. The filters are those the Django templates use, from the same functions."""

from __future__ import annotations

from functools import lru_cache

from django.template.defaultfilters import (
    floatformat,
    timesince_filter,
    timeuntil_filter,
    truncatechars,
)
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import get_language
from jinja2 import Environment

from apps.accounts.selectors import person_shown_to
from apps.core import formatting


@lru_cache(maxsize=64)
def _choice_labels(model, field: str, language: str | None) -> dict:
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}


def label(instance, field: str) -> str:
    """``instance.get_<field>_display()``, from a table of labels made once per language."""
    value = getattr(instance, field)
    return _choice_labels(type(instance), field, get_language()).get(value, value)


def environment(**options) -> Environment:
    options.pop("autoescape", None)
    env = Environment(**options, autoescape=True)
    env.globals["url"] = lambda name, *args: reverse(name, args=args)
    env.filters.update({
        "truncatechars": truncatechars,
        "timesince": timesince_filter,
        "timeuntil": timeuntil_filter,
        "floatformat": floatformat,
        "iso": lambda moment: localtime(moment).isoformat(),  # Django's ``date:"c"``
        "when": formatting.moment,
        "label": label,
        "shown_to": lambda person, viewer: person_shown_to(person=person, viewer=viewer),
    })  # fmt: skip
    return env

"""Template filters for figures and times as people read them (``apps.core.formatting``):
``{{ rate|percent }}``, ``{{ value|decimal }}``, ``{{ value|minutes }}``, ``{{ day|day }}``,
``{{ moment|when:client.timezone }}`` (rendered inside a ``<time datetime>`` by the caller)."""

from django import template

from apps.core import formatting

register = template.Library()

register.filter("percent", formatting.percent)
register.filter("decimal", formatting.number)
register.filter("minutes", formatting.minutes)
register.filter("day", formatting.day)
register.filter("when", formatting.moment)

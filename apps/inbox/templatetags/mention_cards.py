"""``{% mention_card m %}`` (a card of the inbox list; ``oob=True``: the one an action in the
pane sends to replace it) and ``{% mention_meta m %}`` (a mention's badges): Jinja partials
(``inbox/_card.jinja``, ``inbox/_mention_meta.jinja``, see agency/templating.py) rendered with
what the page's context says of the viewer."""

from django import template
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

from apps.inbox.selectors import INFLUENCER_MIN

register = template.Library()


def _render(name: str, context, **values) -> SafeString:
    partial = engines["jinja2"].get_template(name)
    values = {
        "user": context.get("user"),
        "can_act": context.get("can_act", False),
        "checked": context.get("checked", ()),
        "influencer_min": INFLUENCER_MIN,
        **values,
    }
    return mark_safe(partial.render(values))  # noqa: S308 - Jinja escapes (autoescape on)


@register.simple_tag(takes_context=True)
def mention_card(context, mention, oob: bool = False) -> SafeString:
    return _render("inbox/_card.jinja", context, m=mention, oob=oob)


@register.simple_tag(takes_context=True)
def mention_meta(context, mention) -> SafeString:
    return _render("inbox/_mention_meta.jinja", context, m=mention)

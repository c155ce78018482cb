"""``{% mention_cards mentions %}`` (the cards of the inbox list, in one render),
``{% mention_card m %}`` (one card; ``oob=True``: the one an action in the pane sends to replace
it), ``{% mention_meta m %}`` (a mention's badges) — each drawn by the Jinja partial
``inbox/_cards.jinja`` (see agency/templating.py) with what the page's context says of the
viewer — and ``{% form_fields form_or_field … %}`` (fields with their labels and errors,
``inbox/_fields.jinja``)."""

from django import template
from django.forms import BaseForm
from django.template import engines
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from apps.inbox.selectors import INFLUENCER_MIN

register = template.Library()


def _render(name: str, context, **values) -> SafeString:
    partial = engines["jinja2"].get_template(name)
    values = {
        "user": context.get("user"),
        "can_act": context.get("can_act", False),
        "checked": context.get("checked", ()),
        "influencer_min": INFLUENCER_MIN,
        "language": get_language(),  # once for every card's labels, waits and days
        **values,
    }
    return mark_safe(partial.render(values))  # noqa: S308 - Jinja escapes (autoescape on)


@register.simple_tag(takes_context=True)
def mention_cards(context, mentions) -> SafeString:
    return _render("inbox/_cards.jinja", context, mentions=mentions)


@register.simple_tag(takes_context=True)
def mention_card(context, mention, oob: bool = False) -> SafeString:
    return _render("inbox/_cards.jinja", context, mentions=[mention], oob=oob)


@register.simple_tag(takes_context=True)
def mention_meta(context, mention) -> SafeString:
    return _render("inbox/_cards.jinja", context, mentions=[mention], badges_only=True)


@register.simple_tag
def form_fields(*items) -> SafeString:
    """The fields of each form given, or each field given, as the inbox draws a field."""
    fields = [field for item in items for field in (item if isinstance(item, BaseForm) else [item])]
    partial = engines["jinja2"].get_template("inbox/_fields.jinja")
    return mark_safe(partial.render({"fields": fields}))  # noqa: S308 - Jinja escapes

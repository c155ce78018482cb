"""What every HTML form of Rapport shares: errors announced next to their fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import Jinja2
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from markupsafe import escape


class ListedChoices(ModelChoiceIterator):
    """A model field's choices read by one plain query, kept by the queryset for the form's
    life (or the rows a ``ListedChoiceField`` was offered). Django's iterator reads them through
    a server-side cursor — three round trips per select — to spare memory that a form's short
    lists do not need."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        offered = getattr(self.field, "offered", None)
        for choice in self.queryset if offered is None else offered:
            yield self.choice(choice)


@dataclass(frozen=True)
class Listed:
    """Rows read once from ``queryset`` for several fields of a page's forms (the inbox offers
    the teams in three selects)."""

    queryset: QuerySet
    rows: list

    @classmethod
    def read(cls, queryset: QuerySet) -> Listed:
        return cls(queryset, list(queryset))


class ListedChoiceField(forms.ModelChoiceField):
    """A choice among a short list of rows, validated against the list it offers — one read
    for both (Django's field reads the chosen row a second time). ``offer`` gives it rows
    already read."""

    iterator = ListedChoices
    offered: list | None = None

    def offer(self, choices: QuerySet | Listed) -> None:
        """Offer ``choices``: a queryset (read when first needed) or rows already read."""
        listed = isinstance(choices, Listed)
        self.queryset = choices.queryset if listed else choices
        self.offered = choices.rows if listed else None

    def to_python(self, value):
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        if isinstance(value, self.queryset.model):
            value = value.pk
        invalid = ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )
        try:
            key = self.queryset.model._meta.pk.to_python(value)
        except ValidationError:
            raise invalid from None
        rows = self.queryset if self.offered is None else self.offered  # the queryset keeps them
        for row in rows:
            if row.pk == key:
                return row
        raise invalid


class ValuesChoices(ListedChoices):
    """A model field's choices as ``(pk, label)`` read by ``values_list`` (no model built per
    option): ``label_fields`` are the columns read, ``label`` joins them. For lists of hundreds
    (an agency's channels)."""

    label_fields: tuple[str, ...] = ()

    @staticmethod
    def label(*values) -> str:
        return " · ".join(str(value) for value in values)

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, *values in self.queryset.values_list("pk", *self.label_fields):
            yield (pk, self.label(*values))


class PlainSelect(forms.Select):
    """A select drawn in one pass over its choices — for hundreds of options, where Django's
    template per option costs ~20 µs each. No option groups, no attributes per option."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = set(self.format_value(value))
        selected = mark_safe(" selected")
        options = format_html_join(
            "", '<option value="{}"{}>{}</option>',
            ((key, selected if key in chosen else "", label)
             for key, label in (("" if v is None else str(v), label) for v, label in self.choices)),
        )  # fmt: skip
        final = self.build_attrs(self.attrs, attrs)
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final), options)


def _attrs(attrs: dict) -> str:
    # Django's widgets/attrs.html: a True attribute bare, a False one left out.
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{escape(widget["value"])}"'
    return (
        f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"{value}'
        f"{_attrs(widget['attrs'])}>"
    )


def _option(widget: dict) -> str:
    return (
        f'<option value="{escape(widget["value"])}"{_attrs(widget["attrs"])}>'
        f"{escape(widget['label'])}</option>"
    )


def _select(widget: dict) -> str:
    parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group, options, _ in widget["optgroups"]:
        if group:
            parts.append(f'\n  <optgroup label="{escape(group)}">')
        parts.extend(f"\n  {_DRAWN[option['template_name']](option)}" for option in options)
        if group:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict) -> str:
    value = escape(widget["value"]) if widget["value"] else ""
    name = escape(widget["name"])
    return f'<textarea name="{name}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


_INPUTS = ("input", "text", "search", "email", "url", "number", "password", "hidden", "date",
           "datetime", "time", "checkbox")  # fmt: skip
_DRAWN = {
    **{f"django/forms/widgets/{name}.html": _input for name in _INPUTS},
    "django/forms/widgets/select.html": _select,
    "django/forms/widgets/select_option.html": _option,
    "django/forms/widgets/textarea.html": _textarea,
}


class WidgetRenderer(Jinja2):
    """Django's Jinja2 form renderer with the plain widgets — inputs, selects and their options,
    textareas — drawn in Python to the markup of Django's templates of them (tested equal): a
    page of forms draws some thirty widgets, each a template, a select a template per option.
    Any other widget is drawn by its template."""

    def render(self, template_name, context, request=None):
        draw = _DRAWN.get(template_name)
        if draw is None:
            return super().render(template_name, context, request)
        return mark_safe(draw(context["widget"]))  # noqa: S308 - every value escaped above


class AccessibleForm(forms.Form):
    """Every field points its ``aria-describedby`` at the element holding its errors (and its
    help), and a service's ``ValidationError`` lands next to the field it names. Model choices
    are read as plain lists (``ListedChoices``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                field.iterator = ListedChoices
                field.widget.choices = field.choices
            auto_id = self[name].auto_id
            described = f"{auto_id}_error" + (f" {auto_id}_help" if field.help_text else "")
            field.widget.attrs.setdefault("aria-describedby", described)

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's error next to the field it names (else above the form)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)

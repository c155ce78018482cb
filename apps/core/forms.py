"""What every HTML form of Rapport shares: errors announced next to their fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator


class ListedChoices(ModelChoiceIterator):
    """A model field's choices read by one plain query, kept by the queryset for the form's
    life. Django's iterator reads them through a server-side cursor — three round trips per
    select — to spare memory that a form's short lists do not need."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for choice in self.queryset:
            yield self.choice(choice)


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

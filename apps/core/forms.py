"""What every HTML form of Rapport shares: errors announced next to their fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError


class AccessibleForm(forms.Form):
    """Every field points its ``aria-describedby`` at the element holding its errors (and its
    help), and a service's ``ValidationError`` lands next to the field it names."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
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

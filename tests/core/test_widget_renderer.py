"""``WidgetRenderer`` draws the plain widgets in Python: every one is the markup Django's own
Jinja templates of it draw, values and labels escaped, and any other widget still drawn by its
template."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import Jinja2

from apps.core.forms import WidgetRenderer

HOSTILE = "\"><script>alert(1)</script> & 'quoted'"


class EveryWidget(forms.Form):
    text = forms.CharField(widget=forms.TextInput({"placeholder": HOSTILE, "required": True}))
    search = forms.CharField(widget=forms.TextInput({"aria-keyshortcuts": "/"}))
    email = forms.EmailField()
    number = forms.IntegerField()
    day = forms.DateField(widget=forms.DateInput({"type": "date"}))
    secret = forms.CharField(widget=forms.PasswordInput)
    hidden = forms.CharField(widget=forms.HiddenInput)
    ticked = forms.BooleanField(required=False)
    unticked = forms.BooleanField(required=False, widget=forms.CheckboxInput({"disabled": False}))
    kind = forms.ChoiceField(choices=[("", "Any"), ("a", "A & B"), ("b", HOSTILE)])
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("veg", "Vegetable")]
    )
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two"), ("3", "Three")])
    note = forms.CharField(widget=forms.Textarea({"rows": 2}))
    empty_note = forms.CharField(required=False, widget=forms.Textarea)
    radio = forms.ChoiceField(choices=[("x", "X"), ("y", "Y")], widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["search"].widget.input_type = "search"


BOUND = {
    "text": HOSTILE, "search": "cold brew", "email": "not an address", "number": "12",
    "day": "2026-12-06", "secret": "hunter2", "hidden": HOSTILE, "ticked": "on", "kind": "b",
    "grouped": "pear", "many": ["1", "3"], "note": f"line one\n{HOSTILE}", "empty_note": "",
    "radio": "y",
}  # fmt: skip


@pytest.mark.parametrize("data", [None, BOUND], ids=["unbound", "bound"])
def test_each_widget_is_the_markup_of_djangos_template(data):
    ours = EveryWidget(data, renderer=WidgetRenderer())
    djangos = EveryWidget(data, renderer=Jinja2())
    if data:
        ours.is_valid(), djangos.is_valid()
    for name in EveryWidget.base_fields:
        assert str(ours[name]) == str(djangos[name]), name


def test_values_and_labels_are_escaped():
    html = str(EveryWidget(BOUND, renderer=WidgetRenderer()))
    assert "<script>" not in html
    assert '<option value="b" selected>&#34;&gt;&lt;script&gt;' in html

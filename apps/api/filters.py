"""Query-string filters of the API lists (django-filter): a bad value answers 400 naming it.

Every list's filters derive from ``DatabaseSafeFilterSet`` (the filter backend insists): a value
that parses but that the database would refuse (a date-time offset of +23:59, a lone surrogate…)
is a 400 on its field too, by the same rule as the JSON bodies (``apps.core.validation``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import django_filters as filters
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_filters.rest_framework import DjangoFilterBackend

from apps.acknowledgements.models import Acknowledgement
from apps.channels.models import Channel
from apps.core.validation import database_refusal
from apps.listening.models import ListeningQuery, Mention
from apps.listening.selectors import MENTION_ORDERINGS, mention_order, mention_search

MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(filters.Filter):
    field_class = IdField


class MomentField(forms.CharField):
    """An ISO 8601 date (``2026-11-01``) or date-time (``2026-11-01T09:30:00Z``). A bare date
    means the start of that day (UTC), or, as an end (``until``), the end of it."""

    default_error_messages = {"invalid": "Give a date (YYYY-MM-DD) or an ISO 8601 date-time."}

    def __init__(self, *args, end_of_day: bool = False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        return parse_moment(value, end_of_day=self.end_of_day, error=self.error_messages)


def parse_moment(value: str, *, end_of_day: bool = False, error=None) -> datetime:
    """``value`` as an aware datetime (see ``MomentField``); ``forms.ValidationError`` if bad."""
    message = (error or MomentField.default_error_messages)["invalid"]
    try:
        day = parse_date(value) if len(value) == len("YYYY-MM-DD") else None
        if day is not None:
            moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time.min)
        else:
            moment = parse_datetime(value)
            if moment is None:
                raise ValueError(value)
    except (ValueError, OverflowError):
        raise forms.ValidationError(message, code="invalid") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


class MomentFilter(filters.Filter):
    field_class = MomentField


class DatabaseSafeForm(forms.Form):
    """A filter form whose cleaned values must be ones the database accepts."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            reason = database_refusal(value)
            if reason:
                self.add_error(name, f"Not a value Rapport can search for: it {reason}.")
        return cleaned


class DatabaseSafeFilterSet(filters.FilterSet):
    """The base of every API list's filters: values the database would refuse are a 400."""

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (form_class, DatabaseSafeForm), {})


class DatabaseSafeFilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing any filter set that is not database-safe."""

    filterset_base = DatabaseSafeFilterSet

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        if filterset_class is not None and not issubclass(filterset_class, DatabaseSafeFilterSet):
            raise ImproperlyConfigured(
                f"{filterset_class.__name__} must derive from DatabaseSafeFilterSet"
            )
        return filterset_class


class ClientScopedFilter(DatabaseSafeFilterSet):
    client = IdFilter(field_name="client_id", help_text="Only this client's.")


class ChannelFilter(ClientScopedFilter):
    class Meta:
        model = Channel
        fields = ["client"]


class QueryFilter(ClientScopedFilter):
    class Meta:
        model = ListeningQuery
        fields = ["client"]


class MentionFilter(ClientScopedFilter):
    channel = IdFilter(field_name="channel_id")
    status = filters.ChoiceFilter(choices=Mention.Status.choices)
    sentiment = filters.ChoiceFilter(choices=Mention.Sentiment.choices)
    intent = filters.ChoiceFilter(choices=Mention.Intent.choices)
    needs_acknowledgement = filters.BooleanFilter()
    since = MomentFilter(field_name="posted_at", lookup_expr="gte", help_text="Posted from.")
    until = MomentFilter(
        field_name="posted_at", lookup_expr="lt", end_of_day=True,
        help_text="Posted before; a bare date includes that whole day.",
    )  # fmt: skip
    assigned_to = IdFilter(field_name="assigned_to_id", help_text="Assigned to this user.")
    team = IdFilter(field_name="team_id", help_text="Routed or escalated to this team.")
    q = filters.CharFilter(
        method="search", help_text='Full text: words, "exact phrases", -excluded; best first.'
    )
    # Declared last: it orders what the filters above (and ``q``'s ranking) leave.
    ordering = filters.ChoiceFilter(
        choices=[(value, value) for value in MENTION_ORDERINGS],
        method="order",
        help_text="-posted_at (newest first, the default; best match first with q), posted_at "
        "(oldest waiting first), sla_due_at (due first), -priority_score (answer first).",
    )

    class Meta:
        model = Mention
        fields = [
            "client", "channel", "status", "sentiment", "intent", "needs_acknowledgement", "since",
            "until", "assigned_to", "team", "q", "ordering",
        ]  # fmt: skip

    def search(self, queryset, name, value):
        return mention_search(queryset, value)

    def order(self, queryset, name, value):
        return mention_order(queryset, value)


class AcknowledgementFilter(DatabaseSafeFilterSet):
    client = IdFilter(field_name="client_id")
    user = IdFilter(field_name="user_id", help_text="Made by this user.")
    since = MomentFilter(field_name="created_at", lookup_expr="gte", help_text="Made from.")

    class Meta:
        model = Acknowledgement
        fields = ["client", "user", "since"]

"""Forms of the inbox pages: they shape the input; the acknowledgement services validate it
(their ``ValidationError``s are put next to the field they name, see ``add_service_errors``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.models import Team, User
from apps.accounts.selectors import portal_shows_staff_names
from apps.acknowledgements.models import Acknowledgement, SavedReply
from apps.channels.connectors import REPLY_PLATFORMS
from apps.core.forms import (
    AccessibleForm,
    ListedChoiceField,
    PlainSelect,
    ValuesChoices,
    WidgetRenderer,
)
from apps.listening.models import Mention

from .selectors import INFLUENCER_MIN

Kind = Acknowledgement.Kind
BULK_KINDS = (Kind.REPLIED_ELSEWHERE, Kind.RESOLVED_INTERNALLY)
MAX_BULK = 1000


class InboxForm(AccessibleForm):
    """The forms of this area. Their fields are Django's own widgets, drawn to the markup of
    Django's templates of them (``WidgetRenderer``): the inbox draws five forms on every page."""

    default_renderer = WidgetRenderer()  # one instance: it compiles any widget template once


class InboxFilterForm(InboxForm):
    """The list's filters (a GET form): each empty field means "any"; status defaults to open."""

    STATUS_CHOICES = [
        ("open", "Open (new, assigned, escalated)"),
        ("all", "All"),
        *Mention.Status.choices,
    ]

    q = forms.CharField(required=False, label="Search", max_length=500)
    client = ListedChoiceField(queryset=None, required=False, empty_label="All clients")
    channel = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All channels", widget=PlainSelect
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    sentiment = forms.ChoiceField(
        choices=[("", "Any sentiment"), *Mention.Sentiment.choices], required=False
    )
    intent = forms.ChoiceField(
        choices=[("", "Any intent"), *Mention.Intent.choices], required=False
    )
    team = ListedChoiceField(queryset=None, required=False, empty_label="Any team")
    priority = forms.ChoiceField(
        choices=[("", "Any priority"), *Mention.Priority.choices], required=False
    )
    ordering = forms.ChoiceField(
        required=False, label="Sort",
        choices=[
            ("", "Newest first"), ("posted_at", "Oldest waiting first"),
            ("sla_due_at", "SLA due first"), ("-priority_score", "Priority (answer first)"),
        ],
    )  # fmt: skip
    customer = forms.BooleanField(required=False, label="Customers only")
    influencer = forms.BooleanField(
        required=False, label=f"Influencers only (influence ≥ {INFLUENCER_MIN})"
    )
    helper = forms.BooleanField(required=False, label="Community helpers only")
    # A report's period (its figures link here): local days of the client, else of the agency
    since = forms.DateField(
        required=False, label="Posted from", widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        required=False, label="Posted until", widget=forms.DateInput({"type": "date"})
    )

    def __init__(self, *args: Any, clients, channels, teams, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].offer(clients)
        self.fields["channel"].iterator = ChannelChoices
        self.fields["channel"].queryset = channels
        self.fields["team"].offer(teams)
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs.update(
            {"placeholder": 'e.g. "cold brew" -decaf', "aria-keyshortcuts": "/"}
        )

    def selector_filters(self) -> dict[str, Any]:
        """The filters for ``inbox_mention_list`` (call after ``is_valid``; fields that did not
        validate are left out)."""
        data = getattr(self, "cleaned_data", {})
        filters: dict[str, Any] = {
            "q": data.get("q") or "",
            "status": data.get("status") or "open",
            "customer": bool(data.get("customer")),
            "influencer": bool(data.get("influencer")),
            "helper": bool(data.get("helper")),
        }
        for name in ("client", "channel", "team"):
            if data.get(name) is not None:
                filters[name] = data[name].pk
        for name in ("sentiment", "intent", "priority", "ordering"):
            if data.get(name):
                filters[name] = data[name]
        zone = ZoneInfo(data["client"].timezone) if data.get("client") else None
        if data.get("since"):  # from the day's first moment up to the end of ``until``
            filters["since"] = _midnight(data["since"], zone)
        if data.get("until"):
            filters["until"] = _midnight(data["until"] + timedelta(days=1), zone)
        return filters


class ChannelChoices(ValuesChoices):
    """Each channel as "client · channel": an agency may have hundreds, on every inbox page."""

    label_fields = ("client__name", "name")


def _midnight(day: date, zone: ZoneInfo | None) -> datetime:
    """The start of ``day`` in ``zone`` (None: the current time zone)."""
    return timezone.make_aware(datetime.combine(day, time.min), zone)


class LabelsForm(InboxForm):
    """A person's sentiment and intent for a mention (they win over the model's)."""

    sentiment = forms.ChoiceField(choices=Mention.Sentiment.choices)
    intent = forms.ChoiceField(choices=Mention.Intent.choices)

    @classmethod
    def for_mention(cls, mention: Mention, data=None) -> LabelsForm:
        initial = {"sentiment": mention.sentiment, "intent": mention.intent}
        return cls(data, prefix="labels", initial=initial)


class AcknowledgeForm(InboxForm):
    """How the person was acknowledged, with a written text or a saved reply's template
    (``{first_name}`` and ``{handle}`` are filled for each person by the service)."""

    kind = forms.ChoiceField(choices=Kind.choices, label="How")
    saved_reply = ListedChoiceField(
        queryset=SavedReply.objects.none(), required=False, label="Saved reply",
        empty_label="Insert a saved reply…",
    )  # fmt: skip
    text = forms.CharField(
        required=False, max_length=5000, strip=False, label="Text",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="{first_name} and {handle} are filled in for each person.",
    )  # fmt: skip
    force = forms.BooleanField(
        required=False, label="Yes, reply anyway",
        help_text="Shown when the same person was answered in the last 10 minutes.",
    )  # fmt: skip

    def __init__(
        self, *args: Any, saved_replies, mention: Mention | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["saved_reply"].offer(saved_replies)
        if mention is None:  # many mentions at once: only what needs no posting
            self.fields["kind"].choices = [(k.value, k.label) for k in BULK_KINDS]
        else:
            # Every kind validates (the service explains why a channel takes no replies);
            # only the possible ones are offered.
            self.fields["kind"].widget.choices = [
                (kind.value, kind.label)
                for kind in Kind
                if kind != Kind.REPLY or can_reply(mention)
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        reply = data.get("saved_reply")
        if reply is not None and not (data.get("text") or "").strip():
            data["text"] = reply.text  # no script inserted it: use the template as it is
        data["text"] = data.get("text") or ""
        return data


def can_reply(mention: Mention) -> bool:
    """Whether Rapport may post a reply to the mention through its channel."""
    return mention.platform in REPLY_PLATFORMS and not mention.channel.listen_only


class NoteForm(InboxForm):
    """An internal note; ``@name`` notifies a teammate."""

    text = forms.CharField(
        max_length=5000, label="Internal note", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only your team sees it; it is never posted. @name notifies a teammate.",
    )  # fmt: skip


class AssignForm(InboxForm):
    user = ListedChoiceField(
        queryset=User.objects.none(), required=False, label="Person", empty_label="—"
    )
    team = ListedChoiceField(
        queryset=Team.objects.none(), required=False, label="or team", empty_label="—"
    )

    def __init__(self, *args: Any, assignees, teams, viewer: User | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["user"].offer(assignees)
        if viewer is not None and viewer.is_client_user:
            self.fields["user"].label_from_instance = _person_for_client
        else:
            self.fields["user"].label_from_instance = _person
        self.fields["team"].offer(teams)


# What an assignee's label shows and assigning checks (the rest of a person stays unread).
ASSIGNEE_READ = ("email", "first_name", "last_name", "role", "is_active")


def _person(user: User) -> str:
    name = user.get_full_name()
    return f"{name} ({user.email})" if name else user.email


def _person_for_client(user: User) -> str:
    """Client users never see staff e-mails; names only where the agency allows them."""
    name = user.get_full_name()
    return name if name and portal_shows_staff_names() else f"Team member {user.pk}"


class DismissForm(InboxForm):
    # Required by the service, which words the error; the browser is told too.
    reason = forms.CharField(
        required=False, max_length=500, label="Reason",
        widget=forms.TextInput(attrs={"required": True, "placeholder": "e.g. spam, not about us"}),
    )  # fmt: skip


class EscalateForm(InboxForm):
    team = ListedChoiceField(queryset=Team.objects.none(), label="Team")
    note = forms.CharField(
        required=False, max_length=2000, label="Note for the team",
        widget=forms.Textarea(attrs={"rows": 2, "required": True}),
    )  # fmt: skip

    def __init__(self, *args: Any, teams, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].offer(teams)


def selected_ids(values: list[str]) -> list[int]:
    """The ids ticked in the list; ``ValidationError`` when none (or too many) are."""
    ids = sorted({int(value) for value in values if value.isdigit()})
    if not ids:
        raise ValidationError("Tick the mentions to act on first.")
    if len(ids) > MAX_BULK:
        raise ValidationError(f"At most {MAX_BULK} mentions at once.")
    return ids

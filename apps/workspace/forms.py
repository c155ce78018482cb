"""Forms of the settings pages: they shape the input (text into numbers, dates, lists); the
services validate it, and their ``ValidationError``s are shown next to the field they name."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from apps.accounts.models import Team, User
from apps.channels.connectors import PLATFORMS
from apps.core.forms import AccessibleForm
from apps.core.images import MAX_LOGO_BYTES, logo_checked
from apps.listening.models import Mention
from apps.reporting.models import ReportSchedule

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
PRIORITIES = ("urgent", "high", "normal", "low")


class LogoField(forms.FileField):
    """An uploaded logo, cleaned to ``(bytes, content type)`` by ``logo_checked`` (read only up
    to the size limit, so a large file is refused without being read whole), or None."""

    def clean(self, data, initial=None) -> tuple[bytes, str] | None:
        upload = super().clean(data, initial)
        return logo_checked(upload.read(MAX_LOGO_BYTES + 1)) if upload else None


class SettingsForm(AccessibleForm):
    """The forms of this area."""


class PortalForm(SettingsForm):
    portal_shows_staff_names = forms.BooleanField(
        label="Show client users who acknowledged, by name", required=False
    )
    accent_colour = forms.RegexField(
        regex=r"^(#[0-9a-fA-F]{6})?$", required=False, label="Accent colour",
        help_text="#RRGGBB, on your clients' reports; empty: Rapport's blue.",
        error_messages={"invalid": "A colour as #RRGGBB, e.g. #0f766e."},
    )  # fmt: skip
    logo = LogoField(
        required=False, label="Agency logo",
        help_text="PNG or JPEG, at most 256 KB: on every client's report.",
    )  # fmt: skip
    remove_logo = forms.BooleanField(required=False, label="Remove the agency logo")
    report_sender_name = forms.CharField(
        max_length=100, required=False, label="Report e-mails come from",
        help_text="The sender name on report e-mails; empty: your agency's name.",
    )  # fmt: skip
    report_reply_to = forms.CharField(
        max_length=254, required=False, label="Replies to report e-mails go to",
        help_text="An e-mail address of yours; empty: replies go nowhere.",
    )  # fmt: skip


class SlaPolicyForm(SettingsForm):
    target_urgent = forms.IntegerField(label="Urgent (minutes)")
    target_high = forms.IntegerField(label="High (minutes)")
    target_normal = forms.IntegerField(label="Normal (minutes)")
    target_low = forms.IntegerField(label="Low (minutes)")
    next_response_minutes = forms.IntegerField(
        required=False,
        label="Next response (minutes)",
        help_text="For a follow-up in a conversation already acknowledged.",
    )
    business_hours_only = forms.BooleanField(
        required=False, label="Count business hours only (otherwise the clock always runs)"
    )
    timezone = forms.CharField(
        max_length=64, help_text="An IANA time zone, such as Europe/London or America/New_York."
    )
    opens_at = forms.TimeField(label="Opens at", widget=forms.TimeInput(attrs={"type": "time"}))
    closes_at = forms.TimeField(
        label="Closes at",
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="00:00 means midnight at the end of the day.",
    )
    open_weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, label="Open weekdays",
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    holiday_country = forms.CharField(
        max_length=8, required=False, label="Public holidays of country",
        help_text="ISO code (US, GB, DE…); leave empty for none.",
    )  # fmt: skip
    holiday_subdivision = forms.CharField(
        max_length=8, required=False, label="…and subdivision",
        help_text="State or region code (CA, ENG…), optional.",
    )  # fmt: skip
    holidays = forms.CharField(
        required=False, label="Other closed days",
        widget=forms.Textarea(attrs={"rows": 4}), help_text="One date a line, as YYYY-MM-DD.",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].widget.attrs["list"] = "timezones"
        self.timezones = sorted(available_timezones())

    @classmethod
    def initial_for(cls, policy) -> dict[str, Any]:
        return {
            **{f"target_{p}": policy.target_minutes(p) for p in PRIORITIES},
            "next_response_minutes": policy.next_response_minutes,
            "business_hours_only": policy.business_hours_only,
            "timezone": policy.timezone,
            "opens_at": policy.opens_at,
            "closes_at": policy.closes_at,
            "open_weekdays": list(policy.open_weekdays),
            "holiday_country": policy.holiday_country,
            "holiday_subdivision": policy.holiday_subdivision,
            "holidays": "\n".join(str(day) for day in policy.holidays),
        }

    def clean_holidays(self) -> list[date]:
        days = []
        for number, line in enumerate(self.cleaned_data["holidays"].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                days.append(date.fromisoformat(line.strip()))
            except ValueError:
                raise ValidationError(
                    f"Line {number}: '{line.strip()}' is not a date (YYYY-MM-DD)."
                ) from None
        return days

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["targets"] = {p: data.pop(f"target_{p}") for p in PRIORITIES}
        return data


class RoutingRuleForm(SettingsForm):
    name = forms.CharField(max_length=200)
    is_active = forms.BooleanField(required=False, label="Active", initial=True)
    query = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Any query", label="Matched query"
    )
    keywords = forms.CharField(
        required=False, max_length=5000, help_text="Comma-separated; any one of them matches."
    )
    sentiment_below = forms.FloatField(
        required=False, label="Sentiment below", help_text="From -1 (negative) to 1 (positive)."
    )
    intent = forms.ChoiceField(
        choices=[("", "Any intent"), *Mention.Intent.choices], required=False, label="Intent"
    )
    author_is_customer = forms.BooleanField(required=False, label="Author is a customer")
    min_influence = forms.FloatField(
        required=False, label="Author influence at least", help_text="0 to 100."
    )
    platform = forms.ChoiceField(
        choices=[("", "Any platform"), *((p, p) for p in PLATFORMS)], required=False
    )
    set_priority = forms.ChoiceField(
        choices=[("", "Leave as it is"), *Mention.Priority.choices], required=False,
        label="Set priority",
    )  # fmt: skip
    set_team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="No team", label="Route to team"
    )
    set_assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody", label="Assign to"
    )
    add_tag = forms.CharField(max_length=100, required=False, label="Add tag")
    auto_dismiss = forms.BooleanField(
        required=False, label="Dismiss automatically (never counts as acknowledged)"
    )

    CONDITIONS = ("query", "keywords", "sentiment_below", "intent", "author_is_customer",
                  "min_influence", "platform")  # fmt: skip
    ACTIONS = ("set_priority", "set_team", "set_assignee", "add_tag", "auto_dismiss")

    def __init__(self, *args: Any, queries, teams, people, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["query"].queryset = queries
        self.fields["set_team"].queryset = teams
        self.fields["set_assignee"].queryset = people

    @classmethod
    def initial_for(cls, rule) -> dict[str, Any]:
        initial = {
            field: getattr(rule, field)
            for field in ("name", "is_active", *cls.CONDITIONS, *cls.ACTIONS)
        }
        initial["keywords"] = ", ".join(rule.keywords)
        return initial

    def clean_keywords(self) -> list[str]:
        return [k.strip() for k in self.cleaned_data["keywords"].split(",") if k.strip()]

    def conditions(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CONDITIONS]

    def actions(self) -> list[forms.BoundField]:
        return [self[name] for name in self.ACTIONS]


class TeamNameForm(SettingsForm):
    name = forms.CharField(max_length=100)


class TeamMembersForm(SettingsForm):
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Hold Ctrl (⌘ on a Mac) to choose several.",
    )  # fmt: skip

    def __init__(self, *args: Any, people, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = people


class ClientAccountsForm(SettingsForm):
    """A client's own and competitors' accounts, one a line: ``platform handle [account id]``."""

    HELP = "One account a line: platform, handle and, if you know it, the account id."
    brand_accounts = forms.CharField(
        label="The brand's own accounts", required=False, help_text=HELP,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )  # fmt: skip
    competitor_accounts = forms.CharField(
        label="Competitors' accounts", required=False,
        help_text=HELP + " Add the competitor's name after a “|” "
        "(e.g. “bluesky brewhaus.bsky.social | Brewhaus”).",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )  # fmt: skip

    @staticmethod
    def as_lines(accounts: list[dict]) -> str:
        lines = []
        for account in accounts:
            words = (account["platform"], account["handle"], account.get("account_id", ""))
            competitor = account.get("competitor")
            lines.append(" ".join(filter(None, words)) + (f" | {competitor}" if competitor else ""))
        return "\n".join(lines)

    @staticmethod
    def _parse(text: str) -> list[dict]:
        accounts = []
        for line in text.splitlines():
            line, _, competitor = line.partition("|")
            words = line.split()
            if not words:
                continue
            account = {"platform": words[0], "handle": words[1] if len(words) > 1 else ""}
            account["account_id"] = " ".join(words[2:])
            if competitor.strip():
                account["competitor"] = competitor.strip()
            accounts.append(account)
        return accounts

    def service_arguments(self) -> dict[str, list[dict]]:
        return {field: self._parse(self.cleaned_data[field]) for field in self.fields}


def _words(value: str) -> list[str]:
    return [word.strip() for word in value.replace("\n", ",").split(",") if word.strip()]


class ClientForm(SettingsForm):
    """A client brand: name, address, time zone, own accounts, keywords and competitors."""

    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=60, required=False, help_text="Left empty, it is made from the name."
    )
    timezone = forms.ChoiceField(
        label="Time zone", help_text="Its reports' days and its SLA's business hours."
    )
    brand_handles = forms.CharField(
        required=False,
        label="Brand accounts",
        help_text="Its own handles on every platform, comma-separated (@brand, brand.bsky.social).",
    )
    keywords = forms.CharField(required=False, help_text="Comma-separated.")
    competitors = forms.CharField(required=False, help_text="Comma-separated.")
    locale = forms.ChoiceField(
        label="Report language", choices=settings.RAPPORT_REPORT_LANGUAGES, initial="en",
        required=False,
        help_text="Its PDF reports and report e-mails: words, dates and numbers.",
    )  # fmt: skip
    logo = LogoField(required=False, help_text="PNG or JPEG, at most 256 KB: shown on its reports.")
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(zone, zone) for zone in sorted(available_timezones())]
        self.fields["timezone"].initial = "UTC"

    @classmethod
    def initial_for(cls, client) -> dict[str, Any]:
        return {
            "name": client.name, "slug": client.slug, "timezone": client.timezone,
            "locale": client.locale, "brand_handles": ", ".join(client.brand_handles),
            "keywords": ", ".join(client.keywords), "competitors": ", ".join(client.competitors),
        }  # fmt: skip

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments = {
            "name": data["name"], "slug": data["slug"], "timezone": data["timezone"],
            "brand_handles": _words(data["brand_handles"]), "keywords": _words(data["keywords"]),
            "competitors": _words(data["competitors"]),
        }  # fmt: skip
        if data.get("locale"):
            arguments["locale"] = data["locale"]
        if data.get("logo") or data.get("remove_logo"):
            arguments["logo"] = data.get("logo")  # None with "remove": it goes
        return arguments


class ReportScheduleForm(SettingsForm):
    """A report schedule of a client: how often, to whom, at what local hour."""

    frequency = forms.ChoiceField(
        choices=ReportSchedule.Frequency.choices, initial=ReportSchedule.Frequency.WEEKLY,
        label="Period", widget=forms.RadioSelect,
    )  # fmt: skip
    period_days = forms.IntegerField(
        required=False, min_value=1, max_value=ReportSchedule.MAX_DAYS, label="Days in a period",
        help_text="For “every N days” only: periods of this many days, from today.",
    )  # fmt: skip
    recipients = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Recipients",
        help_text="E-mail addresses, one a line or separated by commas.",
    )  # fmt: skip
    send_hour = forms.TypedChoiceField(
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)], coerce=int, initial=8,
        label="Send at", help_text="The client's local time, the day after each period ends.",
    )  # fmt: skip
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    @classmethod
    def initial_for(cls, schedule: ReportSchedule) -> dict[str, Any]:
        return {
            "frequency": schedule.frequency, "period_days": schedule.period_days,
            "recipients": "\n".join(schedule.recipients), "send_hour": schedule.send_hour,
            "is_active": schedule.is_active,
        }  # fmt: skip

    def clean_recipients(self) -> list[str]:
        return [part for part in re.split(r"[\s,;]+", self.cleaned_data["recipients"]) if part]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        custom = data.get("frequency") == ReportSchedule.Frequency.CUSTOM
        if custom and data.get("period_days") is None and "period_days" not in self.errors:
            self.add_error("period_days", "Give the number of days in each period.")
        return data


class ClientInviteForm(SettingsForm):
    """A person of the client, invited to its portal."""

    email = forms.EmailField(label="E-mail", max_length=254)
    role = forms.ChoiceField(
        choices=[
            (User.Role.CLIENT_VIEWER, "Client viewer (reads the inbox and reports)"),
            (User.Role.CLIENT_RESPONDER, "Client responder (also answers)"),
        ],
        initial=User.Role.CLIENT_VIEWER,
    )


class SavedReplyForm(SettingsForm):
    """A reply written once, for one client or (no client) for every client."""

    client = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Every client (agency-wide)"
    )
    title = forms.CharField(max_length=200)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="{first_name} and {handle} are filled in for each person.",
    )

    def __init__(self, *args: Any, clients, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients


class AuditFilterForm(forms.Form):
    """Which audit entries to show (or export)."""

    person = forms.ModelChoiceField(queryset=None, required=False, empty_label="Anyone")
    client = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any client")
    kind = forms.ChoiceField(required=False)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Inclusive."
    )

    def __init__(self, *args: Any, people, clients, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["client"].queryset = clients
        self.fields["kind"].choices = [("", "Any kind")] + [
            (kind, kind.replace("_", " ")) for kind in kinds
        ]

    def selector_arguments(self, zone) -> dict[str, Any]:
        from datetime import datetime, time, timedelta

        data = self.cleaned_data
        day = lambda d: datetime.combine(d, time.min, tzinfo=zone)  # noqa: E731
        return {
            "actor_id": data["person"].pk if data.get("person") else None,
            "client_id": data["client"].pk if data.get("client") else None,
            "object_type": data.get("kind") or "",
            "since": day(data["since"]) if data.get("since") else None,
            "until": day(data["until"] + timedelta(days=1)) if data.get("until") else None,
        }

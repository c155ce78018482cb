"""The "Add channel" and "Edit channel" forms, built from the connector's own description of
its settings (``connectors.describe``): the service checks them with the very same description."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from apps.core.forms import AccessibleForm

from .connectors import describe
from .connectors.base import SettingField


def _field(setting: SettingField, *, keep_hint: bool) -> forms.Field:
    help_text = setting.help
    if setting.secret and keep_hint:
        help_text = (help_text + " " if help_text else "") + "Leave empty to keep the stored one."
    if setting.choices:
        return forms.ChoiceField(
            label=setting.label, choices=[(c, c) for c in setting.choices], required=False,
            initial=setting.default, help_text=help_text,
        )  # fmt: skip
    widget = forms.PasswordInput(render_value=True) if setting.secret else forms.TextInput
    return forms.CharField(
        label=setting.label, required=False, help_text=help_text, widget=widget,
        initial=setting.default if setting.url else "", strip=True,
    )  # fmt: skip


class ChannelForm(AccessibleForm):
    """Name, client and schedule, then one field per config and credential key of the platform
    (named ``config_<key>`` and ``credentials_<key>``). Required-ness and safety are the
    service's to judge; its errors (``config.url``…) land next to these fields."""

    client = forms.ModelChoiceField(queryset=None, empty_label="Choose a client…")
    name = forms.CharField(max_length=200)
    fetch_interval_minutes = forms.IntegerField(
        label="Fetch every (minutes)", min_value=1, initial=15
    )
    listen_only = forms.BooleanField(
        required=False, label="Listen only (Rapport never posts replies here)"
    )

    def __init__(self, *args: Any, platform: str, clients=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.platform, self.description = platform, describe(platform)
        if editing:
            del self.fields["client"]
        else:
            self.fields["client"].queryset = clients
        if not self.description.fetches:
            del self.fields["fetch_interval_minutes"]
        for where, settings in (
            ("config", self.description.config),
            ("credentials", self.description.credentials),
        ):
            for setting in settings:
                self.fields[f"{where}_{setting.key}"] = _field(setting, keep_hint=editing)
        for name, field in self.fields.items():  # the settings' fields, as AccessibleForm does
            auto_id = self[name].auto_id
            described = f"{auto_id}_error" + (f" {auto_id}_help" if field.help_text else "")
            field.widget.attrs.setdefault("aria-describedby", described)

    @classmethod
    def initial_for(cls, channel) -> dict[str, Any]:
        initial = {
            "name": channel.name,
            "fetch_interval_minutes": channel.fetch_interval_minutes,
            "listen_only": channel.listen_only,
        }
        initial.update({f"config_{key}": value for key, value in channel.config.items()})
        return initial

    def settings_fields(self, where: str) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(f"{where}_")]

    def _values(self, where: str) -> dict[str, str]:
        prefix = f"{where}_"
        return {
            name[len(prefix) :]: value
            for name, value in self.cleaned_data.items()
            if name.startswith(prefix) and value not in ("", None)
        }

    def config(self) -> dict[str, str]:
        return self._values("config")

    def credentials(self) -> dict[str, str]:
        return self._values("credentials")

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            error = ValidationError(
                {key.replace(".", "_", 1): value for key, value in error.error_dict.items()}
            )
        super().add_service_errors(error)


class ChannelRemoveForm(AccessibleForm):
    keep_mentions = forms.TypedChoiceField(
        label="Its mentions",
        choices=[("1", "Keep them (in the inbox and reports)"), ("0", "Delete them too")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )

"""The public sign-up form."""

from django import forms
from django.conf import settings

from apps.core.forms import AccessibleForm


class SignupForm(AccessibleForm):
    name = forms.CharField(label="Agency name", max_length=200)
    slug = forms.CharField(
        label="Address",
        max_length=40,
    )
    email = forms.EmailField(label="Your e-mail (you sign in with it)")
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(render_value=True), strip=False
    )

    def __init__(self, *args, check_url: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].help_text = (
            "Lowercase letters, digits and hyphens: your agency will live at "
            f"<slug>.{settings.BASE_DOMAIN}."
        )
        self.fields["slug"].widget.attrs.update(
            {
                "hx-get": check_url,
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#slug-check",
                "autocapitalize": "none",
            }
        )

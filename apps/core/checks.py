"""System checks: configuration the server must refuse to start without."""

from __future__ import annotations

from django.core.checks import Error, register

from apps.core.crypto import needs_encryption_keys


@register()
def encryption_keys_check(app_configs=None, **kwargs) -> list[Error]:
    """With DEBUG off and a real SECRET_KEY, secrets at rest need RAPPORT_ENCRYPTION_KEYS."""
    if not needs_encryption_keys():
        return []
    return [
        Error(
            "RAPPORT_ENCRYPTION_KEYS is not set while DEBUG is off.",
            hint="Set it to comma-separated Fernet keys, newest first "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())').",
            id="rapport.E001",
        )
    ]

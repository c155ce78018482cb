"""Secrets at rest (channel tokens, webhook secrets): Fernet with key rotation.

``RAPPORT_ENCRYPTION_KEYS`` lists Fernet keys newest first: new values are encrypted with the
first, any listed key decrypts, and ``rotate`` re-encrypts a value with the newest key. In
development, with no key configured, one is derived from ``SECRET_KEY``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret was encrypted with a key that is no longer configured."""


def needs_encryption_keys() -> bool:
    """Whether keys are missing where no development key may stand in: DEBUG off and a real
    ``SECRET_KEY`` (the system check ``rapport.E001`` refuses to start then)."""
    return (
        not settings.RAPPORT_ENCRYPTION_KEYS
        and not settings.DEBUG
        and not settings.SECRET_KEY.startswith("dev-only")
    )


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        if needs_encryption_keys():
            raise ImproperlyConfigured("Set RAPPORT_ENCRYPTION_KEYS to encrypt secrets at rest.")
        derived = hashlib.sha256(f"rapport-secrets:{settings.SECRET_KEY}".encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.RAPPORT_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("secret was encrypted with a key that is not configured") from error


def rotate(token: str) -> str:
    """Re-encrypt ``token`` with the newest key."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("secret was encrypted with a key that is not configured") from error


def encrypt_json(value: dict[str, Any]) -> str:
    return encrypt(json.dumps(value, sort_keys=True)) if value else ""


def decrypt_json(token: str) -> dict[str, Any]:
    return json.loads(decrypt(token)) if token else {}

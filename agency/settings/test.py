"""Test settings: fast hashing, in-memory mail, loopback allowed for local fake platforms."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In memory; a server process started by the browser tests writes files instead (its outbox).
EMAIL_BACKEND = env(
    "RAPPORT_TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend"
)
EMAIL_FILE_PATH = env("RAPPORT_TEST_EMAIL_FILE_PATH", default="")
RAPPORT_ALLOW_LOOPBACK_URLS = True
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
RAPPORT_ENCRYPTION_KEYS = ["dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0="]

"""Production: secrets from the environment, HTTPS-only cookies, no embedded services."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
RAPPORT_ENCRYPTION_KEYS = env.list("RAPPORT_ENCRYPTION_KEYS", default=[])
if not RAPPORT_ENCRYPTION_KEYS:  # refuse to start, rather than answer 500 on the first secret
    raise ImproperlyConfigured(
        "Set RAPPORT_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first) to encrypt "
        "secrets at rest."
    )
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
CELERY_TASK_ROUTES = {task: {"queue": queue} for task, queue in TASK_QUEUES.items()}  # noqa: F405
LOGGING["handlers"]["console"]["formatter"] = env("RAPPORT_LOG_FORMAT", default="json")  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

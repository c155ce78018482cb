"""The Celery app (``celery -A agency worker|beat``).

Tasks are tenant-aware: the agency's schema travels in each task's headers and the worker switches
to that schema before running it (tenant-schemas-celery). A task enqueued from the public schema
runs in the public schema; periodic work for every agency fans out one tenant task per agency.
"""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings.dev")

app = CeleryApp("agency")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

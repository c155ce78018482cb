"""WSGI entry point (``gunicorn agency.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings.dev")
application = get_wsgi_application()

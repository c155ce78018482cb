"""Health of the services Rapport depends on: the database and the Celery broker."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from django.conf import settings
from kombu import Connection


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    ok: bool
    detail: str = ""


def database_status(timeout: float = 2.0) -> ServiceStatus:
    """Open a fresh connection and run ``SELECT 1`` (a stale pooled connection proves nothing)."""
    db = settings.DATABASES["default"]
    try:
        with psycopg.connect(
            dbname=db["NAME"],
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            connect_timeout=max(1, int(timeout)),
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return ServiceStatus("database", False, str(error).splitlines()[0][:200])
    return ServiceStatus("database", True)


def broker_status(timeout: float = 2.0) -> ServiceStatus:
    """Connect to the Celery broker once, without retries."""
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=timeout,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as error:  # kombu raises transport-specific errors
        return ServiceStatus("broker", False, str(error)[:200])
    return ServiceStatus("broker", True)


def system_health() -> list[ServiceStatus]:
    return [database_status(), broker_status()]

"""Embedded defaults so one command runs Rapport on a bare machine.

With ``DATABASE_URL`` unset, PostgreSQL runs from the ``pgserver`` wheel with its data under
``var/pgdata``; with ``CELERY_BROKER_URL`` unset, Celery uses kombu's filesystem transport under
``var/broker``. Both are shared by every process of the checkout (web, worker, beat, tests).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

EMBEDDED_DATABASE = "rapport"


def embedded_database(var_dir: Path) -> dict[str, Any]:
    """Start (or reuse) the embedded PostgreSQL server and return Django connection settings."""
    import warnings

    import psycopg

    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver  # imported lazily: only needed without DATABASE_URL

    pgdata = var_dir / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(pgdata, cleanup_mode=None)  # stays up for other processes
    socket_dir = str(pgdata)
    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as c:
        exists = c.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE]
        ).fetchone()
        # Another process of this checkout, starting at the same moment, may create it first.
        if not exists:
            with contextlib.suppress(
                psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
            ):
                c.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
    del server
    return {"NAME": EMBEDDED_DATABASE, "USER": "postgres", "HOST": socket_dir, "PORT": ""}


def filesystem_broker(var_dir: Path) -> tuple[str, dict[str, Any], str]:
    """Return (broker URL, transport options, result backend) for the serverless local broker."""
    queue_dir = var_dir / "broker" / "queue"
    processed_dir = var_dir / "broker" / "processed"
    results_dir = var_dir / "broker" / "results"
    control_dir = var_dir / "broker" / "control"  # exchange → queue bindings
    for folder in (queue_dir, processed_dir, results_dir, control_dir):
        folder.mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(queue_dir),
        "data_folder_out": str(queue_dir),
        "processed_folder": str(processed_dir),
        "control_folder": str(control_dir),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    return "filesystem://", options, f"file://{results_dir}"

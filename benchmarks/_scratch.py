"""Shared set-up for benchmarks: a scratch database on the configured (or embedded) server, and a
slow local feed server."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


def use_scratch_database(name: str, *, keep: bool = False) -> None:
    """Point Django at a freshly created database ``name`` on the same server (``keep``: the one
    a previous run left, if any), then set it up."""
    sys.path.insert(0, str(ROOT))
    import environ
    import psycopg

    from agency.embedded import embedded_database

    if os.environ.get("DATABASE_URL"):
        params = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    else:
        params = embedded_database(Path(os.environ.get("RAPPORT_VAR_DIR", ROOT / "var")))
    conninfo = {
        "host": params.get("HOST") or None,
        "port": params.get("PORT") or None,
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (keep and found):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    host = quote(conninfo["host"] or "", safe="")
    port = f":{conninfo['port']}" if conninfo["port"] else ""
    password = f":{quote(conninfo['password'], safe='')}" if conninfo["password"] else ""
    os.environ["DATABASE_URL"] = f"postgres://{conninfo['user']}{password}@{host}{port}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings.dev")
    import django

    django.setup()


def copy_rows(cursor, model, rows) -> None:
    """``COPY`` rows into a model's table (``apps.core.db.copy_rows``, once Django is set up)."""
    from apps.core.db import copy_rows as copy

    copy(cursor, model, rows)


def serve_feeds(latency: float, body_for: Callable[[str], bytes]) -> ThreadingHTTPServer:
    """A local RSS server answering ``/…/<name>.xml`` with ``body_for(name)`` after ``latency``
    seconds (a slow platform), in threads; stopped with the process."""

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(latency)
            body = body_for(self.path.strip("/").split("/")[-1].split(".")[0])
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server

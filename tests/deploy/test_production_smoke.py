"""The production settings, for real: gunicorn, a worker on the production queues and beat,
against PostgreSQL and the Redis broker. An integrator signs in, beat has a worker fetch a due
channel, the integrator acknowledges a mention and reads the client's report."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher as PBKDF2
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.channels.services import channel_create
from apps.clients.models import Client
from apps.listening.models import Author, Mention
from tests.channels.fakeplatform import Canned, fixture
from tests.conftest import PASSWORD
from tests.support import CeleryBeat, CeleryWorker, subprocess_env

pytestmark = pytest.mark.e2e
QUEUES = ("fetch", "outbound", "reports")  # the production routes (RAPPORT_TASK_QUEUES)


@pytest.fixture
def production_env(tmp_path):
    return subprocess_env(
        DJANGO_SETTINGS_MODULE="agency.settings.production",
        SECRET_KEY="a-long-production-secret-key-for-the-smoke-test-0123456789abcdef",
        RAPPORT_ENCRYPTION_KEYS=settings.RAPPORT_ENCRYPTION_KEYS[0],
        RAPPORT_ALLOW_LOOPBACK_URLS="1",  # the "platform" is a local server
        RAPPORT_DISPATCH_INTERVAL_SECONDS="1",
        CELERY_DEFAULT_QUEUE=f"smoke-{uuid.uuid4().hex[:6]}",
        RAPPORT_VAR_DIR=str(tmp_path),
    )


@pytest.fixture
def feed_client(agency_a, django_db_blocker, platform_server):
    platform_server.route(
        "GET", "/feed.xml",
        Canned(200, fixture("rss/brew_notes_rss20.xml"), {"Content-Type": "application/rss+xml"}),
    )  # fmt: skip
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        client = Client.objects.create(name="Smoke Coffee", slug=f"smoke-{uuid.uuid4().hex[:6]}")
        # Hashed as production hashes (the test settings use a fast hasher production refuses).
        owner = User.objects.create(
            email=f"{client.slug}@alpha.test", username=f"{client.slug}@alpha.test",
            role=User.Role.OWNER, password=PBKDF2().encode(PASSWORD, PBKDF2().salt()),
        )  # fmt: skip
        channel_create(
            client=client, platform="rss", name="Blog",
            config={"url": f"{platform_server.url}/feed.xml"},
        )  # fmt: skip
    yield client
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        owner.delete()
        authors = list(Mention.objects.filter(client=client).values_list("author_id", flat=True))
        client.delete()
        Author.objects.filter(pk__in=authors).delete()


def gunicorn(env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "agency.wsgi", f"--bind=127.0.0.1:{port}",
         "--workers=2", "--worker-class=gthread", "--threads=4"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_gunicorn_worker_and_beat_with_the_production_settings(
    production_env, feed_client, agency_a, tmp_path
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    default_queue = production_env["CELERY_DEFAULT_QUEUE"]
    web = gunicorn(production_env, port)
    # Behind the TLS proxy production expects: it says the request came over https.
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{port}/api/v1",
        headers={"Host": f"{agency_a.slug}.localhost", "X-Forwarded-Proto": "https"},
        timeout=20,
    )
    try:
        with (
            CeleryWorker(",".join((*QUEUES, default_queue)), production_env) as worker,
            CeleryBeat(str(tmp_path / "beat-schedule"), production_env) as beat,
        ):
            deadline = time.monotonic() + 30
            while True:
                try:
                    signed_in = api.post(
                        "/auth/token/",
                        json={"username": f"{feed_client.slug}@alpha.test", "password": PASSWORD},
                    )
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "gunicorn did not start"
                    time.sleep(0.2)
            assert signed_in.status_code == 201, signed_in.text
            api.headers["Authorization"] = f"Token {signed_in.json()['token']}"
            assert "Strict-Transport-Security" in signed_in.headers

            mentions = []
            deadline = time.monotonic() + 60
            while not mentions and time.monotonic() < deadline:  # beat → fetch queue → worker
                time.sleep(0.5)
                mentions = api.get(f"/mentions/?client={feed_client.pk}").json()["results"]
            assert mentions, worker.output() + beat.output()

            answered = api.post(
                f"/mentions/{mentions[0]['id']}/acknowledge/",
                json={"kind": "replied_elsewhere", "text": "Thanks {first_name}!"},
            )
            assert answered.status_code == 201, answered.text
            today = datetime.now(UTC).date()
            since = today - timedelta(days=365)
            report = api.get(
                f"/clients/{feed_client.pk}/report/?since={since}&until={today}"
            ).json()
            assert report["mention_count"] == len(mentions) and report["acknowledged"] == 1
    finally:
        api.close()
        web.terminate()
        web.wait(timeout=20)

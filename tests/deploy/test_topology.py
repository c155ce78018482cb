"""Issue 21: past one machine, on this one. PgBouncer in transaction mode in front of the primary
(which listens on no TCP port: the pooler is the only way in), a streaming replica made by
``pg_basebackup``, Redis, gunicorn and two Celery workers on separate queues, with the production
settings. An owner signs in, has a channel fetched, acknowledges a mention and reads the report,
which comes from the replica; with the replica stopped it comes from the primary."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.conf import settings

from tests.channels.fakeplatform import Canned, fixture
from tests.conftest import PASSWORD
from tests.support import CeleryWorker, closed_port, subprocess_env, test_database_url

from .topology import Topology, manage

pytestmark = pytest.mark.e2e
AGENCIES = ("north", "south")
REPORT_READS = "reporting_mentionday"  # a table only the report's selectors read


@pytest.fixture(scope="module")
def topology(django_db_setup, django_db_blocker):
    """The servers, with the agencies ``north`` and ``south`` created through the pooler."""
    servers = Topology()
    try:
        with django_db_blocker.unblock():
            servers.start_primary(test_database_url())
        servers.start_replica()
        servers.start_pooler()
        env = topology_env(servers, "manage")
        created = [manage(env, "create_agency", f"--slug={slug}", f"--name={slug.title()}",
                          f"--admin-email=owner@{slug}.test", f"--admin-password={PASSWORD}")
                   for slug in AGENCIES]  # fmt: skip
        for command in created:
            output, _ = command.communicate(timeout=120)
            assert command.returncode == 0, output
        yield servers
    finally:
        servers.stop()


def topology_env(servers: Topology, name: str, **extra: str) -> dict[str, str]:
    """A production process whose every database connection goes through the pooler."""
    return subprocess_env(**{
        "DJANGO_SETTINGS_MODULE": "agency.settings.production",
        "SECRET_KEY": "a-long-production-secret-key-for-the-topology-test-0123456789abcdef",
        "RAPPORT_ENCRYPTION_KEYS": settings.RAPPORT_ENCRYPTION_KEYS[0],
        "RAPPORT_ALLOW_LOOPBACK_URLS": "1",  # the "platform" is a local server
        "DATABASE_URL": servers.pooled_url(name=name),
        "DATABASE_POOLER": "1",
        "DATABASE_REPLICA_URL": servers.replica_url(),
        "DATABASE_CONN_MAX_AGE": "60",
        "RAPPORT_VAR_DIR": str(servers.directory),
        **extra,
    })  # fmt: skip


def worker_env(servers: Topology, name: str, **extra: str) -> dict[str, str]:
    """A Celery worker's: through the pooler's session pool (a session keeps its search path
    and the fetch's advisory locks), each task's connection closed after it, handing its
    server connection to the next."""
    return topology_env(
        servers, name, DATABASE_URL=servers.pooled_url("rapport_workers", name=name),
        DATABASE_POOLER="0", DATABASE_CONN_MAX_AGE="0", **extra,
    )  # fmt: skip


def statements(db, table: str) -> int:
    """Calls of the SELECTs reading ``table`` this server has run (pg_stat_statements)."""
    (calls,) = db.execute(
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
        "WHERE query ILIKE %s AND query NOT ILIKE %s",
        [f"%{table}%", "%pg_stat_statements%"],
    ).fetchone()
    return calls


def wait_for(condition, seconds: float = 30, message: str = ""):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, message
        time.sleep(0.2)
    return result


def test_sign_in_fetch_acknowledge_report_through_the_pooler_and_the_replica(
    topology, platform_server
):
    platform_server.route(
        "GET", "/feed.xml",
        Canned(200, fixture("rss/brew_notes_rss20.xml"), {"Content-Type": "application/rss+xml"}),
    )  # fmt: skip
    queue = f"topology-{uuid.uuid4().hex[:6]}"  # the default queue: nobody else's tasks
    port = closed_port()
    web_log = topology.directory / "web.log"
    web = gunicorn(topology_env(topology, "web", CELERY_DEFAULT_QUEUE=queue), port, web_log)
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{port}/api/v1",
        headers={"Host": "north.localhost", "X-Forwarded-Proto": "https"},
        timeout=20,
    )
    try:
        with (
            CeleryWorker("fetch", worker_env(topology, "fetch-worker")) as fetcher,
            CeleryWorker(
                f"outbound,reports,{queue}",
                worker_env(topology, "other-worker", CELERY_DEFAULT_QUEUE=queue),
            ) as other,
        ):
            signed_in = wait_for(lambda: _sign_in(api), message="gunicorn did not start")
            assert signed_in.status_code == 201, signed_in.text
            api.headers["Authorization"] = f"Token {signed_in.json()['token']}"

            client = api.post("/clients/", json={"name": "Harbour Coffee", "timezone": "UTC"})
            assert client.status_code == 201, client.text
            client_id = client.json()["id"]
            channel = api.post("/channels/", json={
                "client": client_id, "platform": "rss", "name": "Blog",
                "config": {"url": f"{platform_server.url}/feed.xml"},
            })  # fmt: skip
            assert channel.status_code == 201, channel.text
            fetch = api.post(f"/channels/{channel.json()['id']}/fetch/")
            assert fetch.status_code in (202, 409), fetch.text

            mentions = wait_for(
                lambda: api.get(f"/mentions/?client={client_id}").json()["results"],
                60, fetcher.output() + other.output(),
            )  # fmt: skip
            answered = api.post(
                f"/mentions/{mentions[0]['id']}/acknowledge/",
                json={"kind": "replied_elsewhere", "text": "Thanks {first_name}!"},
            )
            assert answered.status_code == 201, answered.text

            # A new query re-matches the stored mentions on the reports queue's worker.
            query = api.post(
                "/queries/", json={"client": client_id, "name": "Coffee", "expression": "coffee"}
            )
            assert query.status_code == 201, query.text
            wait_for(lambda: topology.statements_of("other-worker"), 30, other.output())

            today = datetime.now(UTC).date()
            report_url = f"/clients/{client_id}/report/?since={today - timedelta(days=90)}"
            wait_for(topology.replicated, 10, "the replica does not catch up")
            with topology.connect_primary() as primary, topology.connect_replica() as replica:
                primary.execute("SELECT pg_stat_statements_reset()")
                read_on_replica = statements(replica, REPORT_READS)
                report = api.get(report_url)
                assert report.status_code == 200, report.text
                assert report.json()["mention_count"] == len(mentions)
                assert report.json()["acknowledged"] == 1
                # The report's queries ran on the replica, none of them on the primary.
                assert statements(replica, REPORT_READS) > read_on_replica
                assert statements(primary, REPORT_READS) == 0

            # Every process reached PostgreSQL through the pooler: the primary listens on its
            # Unix socket only, where PgBouncer ran the web's and both workers' statements.
            for name in ("web", "fetch-worker", "other-worker"):
                ran = topology.statements_of(name)
                assert ran and all(line.startswith(f"{name}|[local]|") for line in ran), name
            (pooled,) = [row for row in topology.show("STATS") if row["database"] == "rapport"]
            assert pooled["total_xact_count"] > 50

            topology.replica.stop()
            fallback = api.get(report_url)
            assert fallback.status_code == 200, fallback.text
            assert fallback.json()["mention_count"] == len(mentions)
            assert fallback.json()["acknowledged"] == 1
    finally:
        api.close()
        web.terminate()
        web.wait(timeout=20)
    assert "reading from the primary" in web_log.read_text()


def gunicorn(env: dict, port: int, log) -> subprocess.Popen:
    with open(log, "wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "agency.wsgi", f"--bind=127.0.0.1:{port}",
             "--workers=2", "--worker-class=gthread", "--threads=4"],
            cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _sign_in(api: httpx.Client) -> httpx.Response | None:
    try:
        return api.post("/auth/token/", json={"username": "owner@north.test",
                                              "password": PASSWORD})  # fmt: skip
    except httpx.TransportError:
        return None


INTERLEAVED = """
import json
from django.db import connections
from apps.tenants.models import Agency

# Two connections to the pooler's one-server pool, in two agencies' schemas, taking turns.
north, south = (connections.create_connection("default") for _ in "ns")
north.set_tenant(Agency.objects.get(slug="north"))
south.set_tenant(Agency.objects.get(slug="south"))
seen = []
for _ in range(10):
    first, second = north.cursor(), south.cursor()
    first.execute("SELECT string_agg(email, ' ') FROM accounts_user")
    second.execute("SELECT string_agg(email, ' ') FROM accounts_user")
    seen.append([first.fetchone()[0], second.fetchone()[0]])
print(json.dumps(seen))
"""


@pytest.mark.parametrize(
    ("backend", "mixed_up"),
    [({"DATABASE_POOLER": "1"}, False), ({"TENANT_LIMIT_SET_CALLS": "0"}, True)],
    ids=["pooler-backend", "plain-django-tenants"],
)
def test_two_agencies_interleaved_on_one_pooled_connection(topology, backend, mixed_up):
    """With ``DATABASE_POOLER=1`` each agency reads its own users; django-tenants' own
    ``SET search_path`` (a transaction of its own) lets one agency read the other's."""
    env = {**topology_env(topology, "interleaved"), "DATABASE_POOLER": "0", **backend}
    env["DATABASE_URL"] = topology.pooled_url("rapport_one")
    command = manage(env, "shell", "-c", INTERLEAVED)
    output, _ = command.communicate(timeout=60)
    assert command.returncode == 0, output
    seen = json.loads(output.strip().splitlines()[-1])
    assert len(seen) == 10 and all(north and south for north, south in seen), output
    crossed = [pair for pair in seen if "@south." in pair[0] or "@north." in pair[1]]
    assert bool(crossed) is mixed_up, seen


HOLD_FETCH_LOCK = """
import json, sys
from django.db import connection
from apps.channels.fetching import _channel_lock
from apps.tenants.models import Agency

connection.set_tenant(Agency.objects.get(slug="north"))
with _channel_lock(1) as acquired:  # one fetch per channel: held until told to let go
    print(json.dumps(acquired), flush=True)
    sys.stdin.readline()
"""


@pytest.mark.parametrize(
    ("pool", "second_acquires"),
    [("rapport_workers", False), ("rapport_one", True)],
    ids=["workers-session-pool", "transaction-pool"],
)
def test_a_fetch_lock_holds_only_through_the_workers_session_pool(topology, pool, second_acquires):
    """A fetch locks its channel for its whole run (a session advisory lock). Through the
    workers' session pool a second worker is refused while the first holds it; through a
    transaction pool the lock stays on whichever server connection ran the statement, so the
    next worker handed that connection "acquires" it too and both fetch the channel."""
    env = worker_env(topology, "lock")
    if pool != "rapport_workers":
        env.update(DATABASE_URL=topology.pooled_url(pool, name="lock"), DATABASE_POOLER="1")
    first = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", HOLD_FETCH_LOCK],
        cwd=settings.BASE_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        held = first.stdout.readline()
        assert json.loads(held) is True, held
        second = manage(env, "shell", "-c", HOLD_FETCH_LOCK.replace("sys.stdin.readline()", ""))
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 0, output
        assert json.loads(output.strip().splitlines()[-1]) is second_acquires
    finally:
        first.communicate("\n", timeout=60)

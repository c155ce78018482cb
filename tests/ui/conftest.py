"""Browser tests: Debian's Chromium, driven by Playwright, against a real server process.

The server (gunicorn, ``agency.wsgi``) runs with the test settings on this session's test
database, like the other end-to-end tests' processes, so whatever a page must show is committed
first (``committed``) and deleted afterwards. The browser and the server live for the ``tests/ui``
package only: Playwright's sync API keeps an event loop running in this thread while it is open.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect, sync_playwright

from apps.acknowledgements.models import AuditEntry
from apps.acknowledgements.services import mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Client
from apps.listening.models import Author, Mention
from apps.tenants.services import agency_host
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD
from tests.support import subprocess_env

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


# --- the server and the browser ------------------------------------------------------------------


@pytest.fixture(scope="package")
def server_queue() -> str:
    """The Celery queue the server sends its tasks to (a worker started by a test reads it)."""
    return f"ui-{uuid.uuid4().hex[:8]}"


@contextmanager
def running_server(log_dir: Path, **env: str) -> Iterator[int]:
    """gunicorn serving the project on the test database (with ``env`` added); its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = log_dir / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "agency.wsgi", f"--bind=127.0.0.1:{port}",
             "--workers=1", "--threads=8", "--access-logfile=-"],
            cwd=settings.BASE_DIR, env=subprocess_env(**env), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for_health(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def server_url(agency_a, server_queue, tmp_path_factory) -> Iterator[str]:
    """``http://alpha.localhost:<port>``: gunicorn serving the project on the test database."""
    log_dir = tmp_path_factory.mktemp("server")
    with running_server(log_dir, CELERY_DEFAULT_QUEUE=server_queue) as port:
        yield f"http://{agency_host(agency_a.slug)}:{port}"


def _wait_for_health(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            answer = httpx.get(
                f"http://127.0.0.1:{port}/healthz", headers={"Host": settings.BASE_DOMAIN}
            )
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server did not start:\n{log.read_text()}")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (``apt-get install chromium``, as ``bin/setup`` does); no downloads."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: run bin/setup")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch) -> None:
    """Let this thread use the ORM although Playwright's event loop is (idle but) running in it."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(browser, server_url) -> Iterator[Page]:
    """A fresh browser context (no cookies) at desktop size whose relative URLs go to agency A."""
    context = browser.new_context(base_url=server_url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form (going there first unless the page already shows it)."""
    if "/accounts/login/" not in page.url:
        page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def shoot(page: Page, name: str) -> None:
    """Save ``docs/screenshots/<name>-desktop.png`` (1280 x 800) and ``<name>-phone.png``
    (390 x 844) of what the page shows now."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    previous = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", animations="disabled")
    page.set_viewport_size(previous or DESKTOP)


# --- committed data ------------------------------------------------------------------------------


@pytest.fixture
def committed(agency_a, django_db_blocker) -> Callable[[], AbstractContextManager[None]]:
    """``with committed(): ...`` runs ORM calls in agency A, committed (the server sees them)."""

    @contextmanager
    def inside_agency_a() -> Iterator[None]:
        with django_db_blocker.unblock():
            try:
                with schema_context(agency_a.schema_name):
                    yield
            finally:
                # While Playwright's loop runs, Django keeps this thread's connection in a
                # context variable, apart from the one the session closes before dropping the
                # test database: close it here, or it would keep the database in use.
                connection.close()

    return inside_agency_a


@dataclass(frozen=True)
class Reports:
    """Two clients with a month of mentions, a manager and a portal user of the first client."""

    ours: Client  # the viewer's client
    other: Client
    manager_email: str
    viewer_email: str


PEOPLE = ("joe", "mark", "ana", "li", "sam", "priya", "tom", "eva")
SAYINGS = (
    "Thanks for the oat latte this morning, it was perfect! #coldbrew",
    "Waited twenty minutes for a flat white today, really disappointed.",
    "Is the Main Street store open on Sunday?",
    "Love the new seasonal menu, great job team #pumpkin",
    "The app keeps crashing at checkout, I gave up #fail",
    "Do you ship whole beans to Ireland?",
    "Best espresso in town, thank you for remembering my name!",
)


@pytest.fixture
def reports(committed) -> Iterator[Reports]:
    """Committed report data: 30 days of mentions per client, most acknowledged within hours."""
    tag = uuid.uuid4().hex[:6]
    with committed():
        manager = UserFactory(role="manager", email=f"manager-{tag}@alpha.test")
        viewer = UserFactory(role="client_viewer", email=f"viewer-{tag}@alpha.test")
        for user in (manager, viewer):
            user.set_password(PASSWORD)
            user.save()
        ours = ClientFactory(name="Northwind Coffee", slug=f"northwind-{tag}")
        other = ClientFactory(name="Harbor Bank", slug=f"harbor-{tag}")
        ClientMembershipFactory(user=viewer, client=ours)
        _month_of_mentions(ours, manager, tag, per_day=(2, 4, 3, 5, 1))
        _month_of_mentions(other, manager, tag, per_day=(1, 0, 2))
    yield Reports(ours, other, manager.email, viewer.email)
    with committed():
        authors = set(
            Mention.objects.filter(client__in=[ours, other]).values_list("author_id", flat=True)
        )
        Client.objects.filter(pk__in=[ours.pk, other.pk]).delete()
        Author.objects.filter(pk__in=authors).delete()
        AuditEntry.objects.filter(actor__in=[manager, viewer]).delete()
        manager.delete()
        viewer.delete()


def _month_of_mentions(client: Client, user, tag: str, per_day: tuple[int, ...]) -> None:
    """Store a day's mentions at a time through ingest, acknowledging all but the latest few."""
    channel = make_channel(platform="webhook", config={}, client=client, name="Community")
    start = datetime.now(UTC) - timedelta(hours=8)  # a day's mentions span 6.5 hours
    said = 0
    for days_ago in range(29, -1, -1):
        count = per_day[days_ago % len(per_day)]
        items = []
        for n in range(count):
            person = PEOPLE[(said + days_ago) % len(PEOPLE)]
            items.append(
                MentionData(
                    external_id=f"{tag}-{days_ago}-{n}", text=SAYINGS[said % len(SAYINGS)],
                    posted_at=start - timedelta(days=days_ago) + timedelta(minutes=97 * n),
                    author=AuthorData(handle=f"{person}_{tag}", display_name=person.title(),
                                      followers=40 + 300 * (said % 5)),
                )
            )  # fmt: skip
            said += 1
        store_mentions(channel, items)
        if days_ago < 2:
            continue  # recent ones still wait in the inbox
        for delay, mention in enumerate(
            Mention.objects.filter(channel=channel, external_id__startswith=f"{tag}-{days_ago}-")
        ):
            mention_acknowledge(
                mention=mention, user=user, kind="replied_elsewhere",
                text=f"Thanks {mention.author.display_name}!",
                at=mention.posted_at + timedelta(minutes=25 + 40 * delay),
            )  # fmt: skip


def labelless_fields(page: Page) -> list[str]:
    """The form fields of the page that have no label (``<label for>`` or an enclosing one)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("input, select, textarea"))
            .filter((field) => !["hidden", "submit", "button", "reset"].includes(field.type))
            .filter((field) => field.labels.length === 0)
            .map((field) => field.outerHTML)"""
    )


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: it fits)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )

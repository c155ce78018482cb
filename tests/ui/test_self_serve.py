"""A new agency's first ten minutes, in Chromium: sign up on the public host, open the
verification link from the e-mail outbox, land on the new agency, add a client, connect an RSS
channel with "Test connection", see its first mentions, connect a Mastodon account by signing in
on the instance and reply to a customer through it, write a saved reply, invite a client user
and, in a second browser, accept the invitation and see only that client."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import BrowserContext, expect

from apps.demo.fake_platforms import FakePlatforms
from apps.tenants.models import Agency, AgencySignup
from tests.channels.fakeplatform import Canned, fixture
from tests.demo.test_fake_platforms import serving
from tests.support import CeleryWorker, subprocess_env

from .conftest import DESKTOP, running_server, shoot

pytestmark = pytest.mark.e2e
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
OWNER_PASSWORD = "a long and quiet harbour"


class Outbox:
    """The e-mails the server wrote (Django's file-based e-mail backend)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def link(self, path_part: str) -> str:
        """The newest link containing ``path_part`` in any e-mail, waiting until one arrives."""
        text = "".join(f.read_text() for f in sorted(self.folder.glob("*")))
        found = re.findall(rf"http://\S+{re.escape(path_part)}\S+", text)
        assert found, f"no e-mail with a {path_part} link; outbox:\n{text}"
        return found[-1]


@pytest.fixture
def server(agency_a, tmp_path, django_db_blocker) -> Iterator[tuple[int, Outbox, str]]:
    """A server writing its e-mails to a folder, and a worker on its own queue; afterwards the
    agencies signed up are dropped with their schemas."""
    queue = f"ui-signup-{uuid.uuid4().hex[:8]}"
    mail = tmp_path / "mail"
    mail.mkdir()
    env = {"CELERY_DEFAULT_QUEUE": queue,
           "RAPPORT_TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
           "RAPPORT_TEST_EMAIL_FILE_PATH": str(mail)}  # fmt: skip
    slug = f"ui-{uuid.uuid4().hex[:6]}"
    try:
        with (
            running_server(tmp_path, **env) as port,
            CeleryWorker(queue, subprocess_env(**env)) as worker,
        ):
            yield port, Outbox(mail), slug
            print(worker.output())
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            for agency in Agency.objects.filter(slug=slug):
                agency.delete(force_drop=True)
            AgencySignup.objects.filter(slug=slug).delete()
            connection.close()


@pytest.fixture
def feed(platform_server) -> str:
    platform_server.route(
        "GET", "/feed.xml", Canned(200, fixture("rss/brew_notes_rss20.xml"), RSS_TYPE)
    )
    return f"{platform_server.url}/feed.xml"


def _context(browser, base_url: str) -> BrowserContext:
    context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    return context


@dataclass
class Instance:
    url: str
    platforms: FakePlatforms  # what was posted there: ``platforms.replies``


@pytest.fixture
def mastodon() -> Iterator[Instance]:
    """A Mastodon instance: the demo's platform simulator."""
    platforms = FakePlatforms()
    with serving(platforms) as url:
        yield Instance(f"{url}/mastodon", platforms)


def test_a_new_agency_signs_up_connects_a_feed_and_invites_its_client(
    browser, server, feed, mastodon
):
    port, outbox, slug = server
    public = f"http://{settings.BASE_DOMAIN}:{port}"
    agency_url = f"http://{slug}.{settings.BASE_DOMAIN}:{port}"
    owner = _context(browser, public)
    page = owner.new_page()

    # Sign up on the public host: a taken address is refused as you type.
    page.goto("/signup/")
    page.get_by_label("Address").fill("alpha")
    expect(page.locator("#slug-check")).to_contain_text("already exists")
    page.get_by_label("Agency name").fill("Kestrel Social")
    page.get_by_label("Address").fill(slug)
    expect(page.locator("#slug-check")).to_contain_text(f"{slug}.{settings.BASE_DOMAIN} is free")
    page.get_by_label("Your e-mail").fill(f"owner@{slug}.test")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    shoot(page, "signup")
    page.get_by_role("button", name="Create agency").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    # The link from the e-mail: provisioned by the worker, then the agency's own sign-in page.
    page.goto(outbox.link("/signup/verify/"))
    page.wait_for_url(f"{agency_url}/accounts/login/", timeout=60_000)
    page.get_by_label("E-mail").fill(f"owner@{slug}.test")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    checklist = page.locator("#onboarding")
    expect(checklist).to_contain_text("0 of 6 done")
    shoot(page, "onboarding-checklist")

    # Two clients; the portal user will be bound to the first.
    for name in ("Aurora Tea", "Zenith Coffee"):
        page.goto(f"{agency_url}/clients/new/")
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_role("button", name="Add client").click()
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    page.goto(f"{agency_url}/clients/")
    page.get_by_role("link", name="Aurora Tea").click()
    client_page = page.url

    # Connect an RSS channel: "Test connection" shows the first items before anything is saved.
    page.get_by_role("link", name="Connect a channel").click()
    page.get_by_role("link", name="RSS or Atom feed").click()
    page.get_by_label("Name", exact=True).fill("Brew notes blog")
    page.get_by_label("Feed address").fill(feed)
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_contain_text("Connected: the first")
    expect(page.locator("#test-result")).to_contain_text("winter blend")
    shoot(page, "add-channel")
    page.get_by_role("button", name="Create channel").click()
    expect(page.get_by_role("heading", name="Brew notes blog", exact=True)).to_be_visible()

    # Its first fetch runs in the worker; the mentions reach the inbox.
    page.goto(f"{agency_url}/inbox/?status=all")
    for _ in range(30):
        if page.get_by_text("winter blend").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(page.get_by_text("winter blend").first).to_be_visible()

    # A Mastodon account by signing in on the instance (the demo's platform simulator).
    page.goto(f"{agency_url}/channels/new/?platform=mastodon")
    page.get_by_label("Client").select_option(label="Aurora Tea")
    page.get_by_label("Name", exact=True).fill("Mastodon mentions")
    page.get_by_label("Server address").fill(mastodon.url)
    page.get_by_role("button", name="Sign in with Mastodon").click()
    page.get_by_role("link", name="Continue to").click()
    expect(
        page.get_by_role("heading", name="Authorize Rapport to use your account?")
    ).to_be_visible()
    page.get_by_label("Account").select_option("northwind-coffee")
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("heading", name="Mastodon mentions", exact=True)).to_be_visible()
    expect(page.get_by_text("connected through Mastodon")).to_be_visible()

    # Its mentions arrive; a reply from the conversation page is posted with the account's token.
    page.goto(f"{agency_url}/inbox/?status=all")
    page.get_by_label("Channel").select_option(label="Aurora Tea · Mastodon mentions")
    page.get_by_role("button", name="Show").click()
    for _ in range(30):
        if page.locator(".inbox-row").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    page.locator(".inbox-row .inbox-open").first.click()
    form = page.locator("#acknowledge-form")
    form.get_by_label("How").select_option("reply")
    form.get_by_label("Text").fill("Thank you for telling us, we are on it.")
    form.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Thank you for telling us, we are on it.").first).to_be_visible()
    for _ in range(60):
        if mastodon.platforms.replies:
            break
        page.wait_for_timeout(500)
    (reply,) = mastodon.platforms.replies
    assert reply["brand"] == "northwind-coffee"  # the account the owner authorised
    # A Mastodon reply names the person it answers, or they are not notified
    assert re.fullmatch(r"@\S+ Thank you for telling us, we are on it\.", reply["text"])
    assert reply["in_reply_to"]
    page.reload()
    expect(page.get_by_text(re.compile("sent", re.I)).first).to_be_visible()

    # A saved reply, which the audit log then shows.
    page.goto(f"{agency_url}/settings/saved-replies/")
    page.get_by_label("Title").fill("Thanks")
    page.get_by_label("Text").fill("Thanks {first_name}, glad you liked it!")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#saved-replies")).to_contain_text("Thanks Ana, glad you liked it!")
    page.goto(f"{agency_url}/settings/audit/")
    expect(page.locator("#audit-entries")).to_contain_text("saved_reply")
    shoot(page, "audit-log")

    # Invite the client's marketing lead from the client's page.
    page.goto(client_page)
    page.get_by_label("E-mail").fill(f"cmo@{slug}.test")
    page.get_by_role("button", name="Invite to the portal").click()
    expect(page.get_by_text(f"Invitation sent to cmo@{slug}.test")).to_be_visible()

    # A second browser: the invitation, a password, and only Aurora Tea.
    guest = _context(browser, agency_url)
    portal = guest.new_page()
    portal.goto(outbox.link("/accounts/invitation/"))
    portal.get_by_label("New password", exact=True).fill("tea leaves and saucers")
    portal.get_by_label("Repeat the new password").fill("tea leaves and saucers")
    portal.get_by_role("button", name="Set my password and sign in").click()
    portal.goto(f"{agency_url}/")
    expect(portal.locator("main")).to_contain_text("Aurora Tea")
    expect(portal.locator("main")).not_to_contain_text("Zenith Coffee")
    portal.goto(f"{agency_url}/inbox/?status=all&q=winter")
    expect(portal.get_by_text("winter blend").first).to_be_visible()
    expect(portal.locator("main")).not_to_contain_text("Zenith Coffee")
    guest.close()
    owner.close()

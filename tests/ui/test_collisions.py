"""Two responders on the same conversation, in two real browsers: each sees the other there and
writing, and the second to answer the person is asked to confirm before replying again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from apps.acknowledgements.models import Acknowledgement, AuditEntry
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Client
from apps.listening.models import Author, Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.conftest import PASSWORD

from .conftest import DESKTOP, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def two_responders(committed):
    tag = uuid.uuid4().hex[:6]
    with committed():
        client = Client.objects.create(name="Lumen Bikes", slug=f"lumen-{tag}", timezone="UTC")
        channel = make_channel(platform="webhook", config={}, client=client, name="Community")
        store_mentions(channel, [MentionData(
            external_id=f"{tag}-1", text="My bike arrived with a broken bell",
            posted_at=datetime.now(UTC) - timedelta(minutes=20),
            author=AuthorData(handle=f"ana_{tag}", display_name="Ana Silva"),
        )])  # fmt: skip
        mention = Mention.objects.select_related("author").get(client=client)
        people = []
        for name in ("sam", "kim"):
            user = UserFactory(role="responder", email=f"{name}-{tag}@alpha.test")
            user.set_password(PASSWORD)
            user.save()
            people.append(user)
    yield mention, people
    with committed():
        Acknowledgement.objects.filter(client=client).delete()
        AuditEntry.objects.filter(actor__in=people).delete()
        client.delete()
        Author.objects.filter(pk=mention.author_id).delete()
        for user in people:
            user.delete()


def test_two_responders_see_each_other_and_the_second_reply_asks_for_confirmation(
    browser, server_url, two_responders, committed
):
    mention, (sam, kim) = two_responders
    pages = []
    for user in (sam, kim):
        context = browser.new_context(base_url=server_url, viewport=DESKTOP)
        context.set_default_timeout(15_000)
        page = context.new_page()
        sign_in(page, user.email)
        page.goto(f"/inbox/{mention.pk}/")
        pages.append(page)
    sams, kims = pages
    try:
        expect(sams.locator("#presence")).to_contain_text(f"{kim.email} is viewing this")
        expect(kims.locator("#presence")).to_contain_text(f"{sam.email} is viewing this")

        kims_form = kims.locator("#acknowledge-form")
        kims_form.get_by_label("How").select_option("replied_elsewhere")
        kims_form.get_by_label("Text").fill("Ana, a new bell is on its way")
        expect(sams.locator("#presence")).to_contain_text(f"{kim.email} is writing a reply")

        sams_form = sams.locator("#acknowledge-form")
        sams_form.get_by_label("How").select_option("replied_elsewhere")
        sams_form.get_by_label("Text").fill("Sorry Ana, we will send a bell")
        sams_form.get_by_role("button", name="Acknowledge").click()
        expect(sams.get_by_text("Acknowledged 1 mention")).to_be_visible()

        kims_form.get_by_role("button", name="Acknowledge").click()
        confirmation = kims.get_by_role("alert").filter(has_text="Send another reply anyway?")
        expect(confirmation).to_contain_text(f"{sam.email} answered @{mention.author.handle}")
        with committed():
            assert Acknowledgement.objects.filter(mention=mention).count() == 1

        kims.locator("#acknowledge-form").get_by_label("Yes, reply anyway").check()
        kims.locator("#acknowledge-form").get_by_role("button", name="Acknowledge").click()
        expect(kims.get_by_text("Acknowledged 1 mention")).to_be_visible()
        with committed():
            texts = set(
                Acknowledgement.objects.filter(mention=mention).values_list("text", flat=True)
            )
        assert texts == {"Sorry Ana, we will send a bell", "Ana, a new bell is on its way"}
    finally:
        for page in pages:
            page.context.close()

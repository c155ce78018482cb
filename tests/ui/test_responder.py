"""A responder's day in the real browser: filter the inbox to unhappy people, open one, answer
them personally from a saved reply, and see the reply sent and the SLA clock stopped."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from apps.acknowledgements.models import Acknowledgement, SlaPolicy
from apps.acknowledgements.services import saved_reply_create
from apps.channels.connectors.base import AuthorData, MentionData
from apps.channels.services import channel_create
from apps.clients.models import Client
from apps.listening.models import Author, Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import store_mentions
from tests.channels.fakeplatform import json_response
from tests.conftest import PASSWORD
from tests.support import CeleryWorker, subprocess_env

from .conftest import sign_in

pytestmark = pytest.mark.e2e
STATUS = "113499800000000800"  # the unhappy customer's post, in the Mastodon fixtures


@pytest.fixture
def unhappy_customer(committed, platform_server):
    platform_server.route(
        "GET", f"/api/v1/statuses/{STATUS}", json_response("mastodon/status_private.json")
    )
    platform_server.route("POST", "/api/v1/statuses", json_response("mastodon/status_created.json"))
    tag = uuid.uuid4().hex[:6]
    with committed():
        client = Client.objects.create(name="Lumen Bikes", slug=f"lumen-{tag}", timezone="UTC")
        SlaPolicy.objects.create(client=client, business_hours_only=False, targets={"normal": 60})
        channel = channel_create(
            client=client, platform="mastodon", name="Mastodon @lumen",
            config={"base_url": platform_server.url, "mode": "mentions"},
            credentials={"access_token": "mastodon-token-123"},
        ).channel  # fmt: skip
        posted = datetime.now(UTC) - timedelta(minutes=20)
        ana = AuthorData(handle="ana", display_name="Ana Silva")
        ben = AuthorData(handle="ben", display_name="Ben")
        store_mentions(channel, [
            MentionData(external_id=STATUS, posted_at=posted, author=ana,
                        text="The app crashes every time, terrible support"),
            MentionData(external_id="1", text="I love my new bike, wonderful!",
                        posted_at=posted, author=ben),
        ])  # fmt: skip
        responder = UserFactory(role="responder", email=f"sam-{tag}@alpha.test")
        responder.set_password(PASSWORD)
        responder.save()
        saved_reply_create(
            title="Sorry, fixing it", user=responder, client=client,
            text="Sorry {first_name}, that is on us: we are fixing it today.",
        )  # fmt: skip
    yield responder
    with committed():
        authors = list(Mention.objects.filter(client=client).values_list("author_id", flat=True))
        Acknowledgement.objects.filter(client=client).delete()
        client.delete()
        Author.objects.filter(pk__in=authors).delete()
        responder.delete()


def test_a_responder_answers_an_unhappy_customer_from_a_saved_reply(
    page, unhappy_customer, committed, server_queue, platform_server
):
    sign_in(page, unhappy_customer.email)
    page.goto("/inbox/")
    page.get_by_label("Sentiment").select_option("negative")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("The app crashes every time")).to_be_visible()
    expect(page.get_by_text("I love my new bike")).to_have_count(0)

    row = page.locator(".inbox-row").filter(has_text="The app crashes every time")
    row.get_by_role("link", name=re.compile("Ana Silva")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana")
    form = page.locator("form").filter(has=page.get_by_role("button", name="Acknowledge"))
    form.get_by_label("How").select_option("reply")
    form.get_by_label("Saved reply").select_option(label="Sorry, fixing it (Lumen Bikes)")
    expect(form.get_by_label("Text")).to_have_value(re.compile(r"Sorry \{first_name\}"))
    with CeleryWorker(server_queue, subprocess_env(CELERY_DEFAULT_QUEUE=server_queue)):
        form.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_text("Sorry Ana, that is on us")).to_be_visible()
        # The worker posts the reply to Mastodon; the page shows it sent after a reload.
        for _ in range(30):
            if platform_server.requests_to("POST", "/api/v1/statuses"):
                break
            page.wait_for_timeout(500)
        page.reload()
    expect(page.get_by_text(re.compile("sent", re.I)).first).to_be_visible()

    post = platform_server.requests_to("POST", "/api/v1/statuses")[0].json()
    assert post["in_reply_to_id"] == STATUS and "Sorry Ana" in post["status"]
    with committed():
        mention = Mention.objects.get(external_id=STATUS)
        ack = Acknowledgement.objects.get(mention=mention)
    assert mention.status == "acknowledged" and mention.acknowledged_at is not None
    assert 0 < mention.time_to_acknowledge_minutes < 60  # the SLA clock stopped in time
    assert ack.is_personal and ack.delivery_status == "sent"

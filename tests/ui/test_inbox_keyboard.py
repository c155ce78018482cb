"""A responder works ten mentions from the keyboard alone, in the real browser: the conversation
opens beside the list, each action brings the next one, and the list and counts change in place
(no page is loaded again). On a phone the two panes take turns."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from apps.accounts.models import Team
from apps.acknowledgements.models import Acknowledgement, AuditEntry
from apps.acknowledgements.services import saved_reply_create
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Client
from apps.listening.models import Author, Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.conftest import PASSWORD

from .conftest import PHONE, sign_in

pytestmark = pytest.mark.e2e
WAITING = 10


@pytest.fixture
def ten_waiting(committed):
    """Ten people waiting at Lumen Bikes (newest first: p0 … p9), a Support team, a responder."""
    tag = uuid.uuid4().hex[:6]
    with committed():
        client = Client.objects.create(name="Lumen Bikes", slug=f"lumen-{tag}", timezone="UTC")
        channel = make_channel(platform="webhook", config={}, client=client, name="Community")
        store_mentions(channel, [
            MentionData(external_id=f"{tag}-{n}", text=f"Question {n}: where is my bike?",
                        posted_at=datetime.now(UTC) - timedelta(minutes=10 + n),
                        author=AuthorData(handle=f"p{n}_{tag}", display_name=f"Person {n}"))
            for n in range(WAITING)
        ])  # fmt: skip
        team = Team.objects.create(name=f"Support {tag}")
        responder = UserFactory(role="responder", email=f"sam-{tag}@alpha.test")
        responder.set_password(PASSWORD)
        responder.save()
        mentions = list(Mention.objects.filter(client=client).order_by("-posted_at", "-pk"))
    yield client, team, responder, mentions
    with committed():
        authors = [m.author_id for m in mentions]
        Acknowledgement.objects.filter(client=client).delete()
        AuditEntry.objects.filter(actor=responder).delete()
        client.delete()
        Author.objects.filter(pk__in=authors).delete()
        team.delete()
        responder.delete()


def new_count(page: Page):
    return page.locator("#inbox-counts .count-new .count-value")


def shown(page: Page):
    return page.locator("#pane [data-pane-mention]")


# What the responder does to each mention, keys only: acknowledge, reply, escalate, dismiss…
def acknowledge(page: Page) -> None:
    page.keyboard.press("a")  # the "How" of the acknowledge form
    page.keyboard.press("End")  # its last choice: resolved internally
    expect(page.locator("#pane #id_acknowledge-kind")).to_have_value("resolved_internally")
    page.keyboard.press("Control+Enter")


def reply(page: Page) -> None:
    page.keyboard.press("r")  # the reply's text (a webhook takes none: replied elsewhere)
    page.keyboard.type("Sorry, it ships today.")
    expect(page.locator("#pane #id_acknowledge-kind")).to_have_value("replied_elsewhere")
    page.keyboard.press("Control+Enter")


def escalate(page: Page, team: Team) -> None:
    page.keyboard.press("e")  # the team to escalate to
    page.keyboard.type(team.name)  # a select chooses as you type
    expect(page.locator("#pane #id_escalate-team")).to_have_value(str(team.pk))
    page.keyboard.press("Tab")
    page.keyboard.type("Refund?")
    page.keyboard.press("Control+Enter")


def dismiss(page: Page) -> None:
    page.keyboard.press("d")
    page.keyboard.type("spam")
    page.keyboard.press("Enter")


def test_a_responder_works_ten_mentions_from_the_keyboard(page, ten_waiting, committed):
    client, team, responder, mentions = ten_waiting
    sign_in(page, responder.email)
    # The New tab: every action below takes the mention out of it.
    page.goto(f"/inbox/?client={client.pk}&status=new")
    page.evaluate("window.loadedOnce = true")  # gone if a page were loaded again
    expect(new_count(page)).to_have_text(str(WAITING))

    page.keyboard.press("j")
    expect(page.locator(f"#card-{mentions[0].pk}")).to_have_class(re.compile("is-current"))
    page.keyboard.press("Enter")
    expect(shown(page)).to_have_attribute("data-pane-mention", str(mentions[0].pk))

    steps = [acknowledge, reply, lambda p: escalate(p, team), dismiss] * 3
    for done, mention in enumerate(mentions, start=1):
        steps[done - 1](page)
        expect(page.locator(f"#card-{mention.pk}")).to_have_count(0)
        expect(new_count(page)).to_have_text(str(WAITING - done))
        if done < WAITING:
            following = mentions[done]
            expect(shown(page)).to_have_attribute("data-pane-mention", str(following.pk))
            expect(page.locator(f"#card-{following.pk}")).to_have_class(re.compile("is-current"))
            # The focus went with it: the next key acts on the next mention.
            assert page.evaluate("document.activeElement.id") == "conversation-title"
        assert page.evaluate("window.loadedOnce === true"), f"a page was loaded after {done}"

    expect(page.locator("#pane")).to_contain_text("Nobody else is waiting in this list")
    expect(page.locator("[data-inbox-row]")).to_have_count(0)
    with committed():
        statuses = sorted(Mention.objects.filter(client=client).values_list("status", flat=True))
    assert statuses == ["acknowledged"] * 6 + ["dismissed"] * 2 + ["escalated"] * 2


def test_ticking_shows_the_sticky_bulk_bar_and_keys_never_fire_while_typing(page, ten_waiting):
    client, _, responder, mentions = ten_waiting
    sign_in(page, responder.email)
    page.goto(f"/inbox/?client={client.pk}")
    bar = page.locator("[data-bulk-bar]")
    expect(bar).to_be_hidden()
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(bar).to_be_visible()
    assert bar.evaluate("bar => getComputedStyle(bar).position") == "sticky"
    page.keyboard.press("d")  # with cards ticked, the keys go to the bulk bar
    expect(page.locator("#bulk_dismiss-reason")).to_be_focused()
    page.keyboard.type("jkxo")  # typed into the field, not taken as shortcuts
    expect(page.locator("#bulk_dismiss-reason")).to_have_value("jkxo")
    expect(page.locator(f"#card-{mentions[0].pk} input.pick")).to_be_checked()
    page.keyboard.press("Escape")
    page.keyboard.press("x")
    expect(bar).to_be_hidden()


def test_ticking_with_the_pointer_draws_the_bars_forms_and_a_bulk_action_acts_on_the_ticked(
    page, ten_waiting, committed
):
    client, _, responder, mentions = ten_waiting
    with committed():
        saved_reply_create(title="Sorted", text="Sorted for you, {first_name}.", user=responder)
    sign_in(page, responder.email)
    page.goto(f"/inbox/?client={client.pk}")
    expect(page.locator("#bulk_acknowledge-kind")).to_have_count(0)  # read at the first tick
    for mention in mentions[:2]:
        page.locator(f"#pick-{mention.pk}").check()
    page.locator("[data-bulk-bar] summary", has_text="Acknowledge").click()  # drawn at the tick
    page.locator("#bulk_acknowledge-saved_reply").select_option(label="Sorted")
    expect(page.locator("#bulk_acknowledge-text")).to_have_value("Sorted for you, {first_name}.")
    page.get_by_role("button", name="Acknowledge ticked").click()  # other actions' fields empty
    expect(page.locator(".inbox-messages")).to_contain_text("Acknowledged 2 mentions")
    with committed():
        texts = sorted(Acknowledgement.objects.filter(client=client).values_list("text", flat=True))
    assert texts == ["Sorted for you, Person."] * 2  # each first name filled in


def test_on_a_phone_the_list_and_the_conversation_take_turns_and_a_reload_keeps_it(
    page, ten_waiting
):
    client, _, responder, mentions = ten_waiting
    page.set_viewport_size(PHONE)
    sign_in(page, responder.email)
    page.goto(f"/inbox/?client={client.pk}")
    card = page.locator(f"#card-{mentions[0].pk}")
    expect(page.locator("#pane")).to_be_hidden()
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(shown(page)).to_have_attribute("data-pane-mention", str(mentions[0].pk))
    expect(card).to_be_hidden()
    # The address names it (replaced, not pushed): a reload opens it again.
    expect(page).to_have_url(re.compile(rf"[?&]open={mentions[0].pk}\b"))
    page.reload()
    expect(shown(page)).to_have_attribute("data-pane-mention", str(mentions[0].pk))
    expect(card).to_be_hidden()
    page.get_by_role("link", name="← Back to the list").press("Enter")
    expect(card).to_be_visible()
    expect(page.locator("#pane")).to_be_hidden()
    expect(page).not_to_have_url(re.compile("open="))


def test_a_card_chosen_with_the_pointer_opens_beside_it_and_a_note_stays_there(page, ten_waiting):
    client, _, responder, mentions = ten_waiting
    sign_in(page, responder.email)
    page.goto(f"/inbox/?client={client.pk}")
    page.evaluate("window.loadedOnce = true")
    page.locator(f"#card-{mentions[2].pk} .text").click()
    expect(shown(page)).to_have_attribute("data-pane-mention", str(mentions[2].pk))
    page.locator("#pane").get_by_label("Internal note", exact=True).fill("Checking the courier")
    page.locator("#pane").get_by_role("button", name="Add note").click()
    expect(page.locator("#pane .note")).to_contain_text("Checking the courier")
    expect(page.locator("#pane")).to_contain_text("Note added.")
    expect(page.locator("main")).to_have_count(1)  # the pane got the fragment, not a page
    assert page.evaluate("window.loadedOnce === true")

"""The inbox's two panes over HTTP: htmx gets a conversation alone for the pane beside the list,
and an action done there answers with the next mention of that list plus, out of band, the
handled card (removed, or updated while the list still holds it) and the counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from tests.accounts.factories import TeamFactory, UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def queue(in_agency_a):
    """Four people waiting at Northwind, newest first: p1 (1 hour ago) … p4 (4 hours ago)."""
    client = ClientFactory(name="Northwind")
    channel = make_channel(platform="webhook", config={}, client=client)
    store_mentions(channel, [
        MentionData(external_id=f"q{n}", text=f"Question number {n}?", posted_at=NOW -
                    timedelta(hours=n), author=AuthorData(handle=f"p{n}", display_name=f"P{n}"))
        for n in range(1, 5)
    ])  # fmt: skip
    mentions = [Mention.objects.get(external_id=f"q{n}") for n in range(1, 5)]
    return client, mentions


def from_the_list(client_a, query: str) -> dict[str, str]:
    """The headers htmx sends from the inbox list at ``/inbox/?query``."""
    host = client_a.defaults["HTTP_HOST"]
    return {"HX-Request": "true", "HX-Current-URL": f"http://{host}/inbox/?{query}"}


def shown_in_pane(html: str) -> int:
    (pk,) = re.findall(r'data-pane-mention="(\d+)"', html)
    return int(pk)


def count(html: str, label: str) -> int:
    counts = re.sub(r"\s+", " ", html[html.index('id="inbox-counts"') :])
    return int(re.search(rf'{label}</span> <span class="count-value">(\d+)<', counts)[1])


def test_htmx_gets_the_conversation_alone_and_a_visit_the_whole_page(queue, client_a):
    client_a.force_login(UserFactory(role="responder"))
    _, (first, *_) = queue
    pane = client_a.get(f"/inbox/{first.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in pane and shown_in_pane(pane) == first.pk
    assert f'hx-post="/inbox/{first.pk}/acknowledge/"' in pane
    assert 'id="then-next-acknowledge" checked' in pane  # in the pane, each action moves on
    assert re.search(r"<h2 [^>]*>P1 ", pane)  # the page's own heading stays the only h1

    page = client_a.get(f"/inbox/{first.pk}/").content.decode()
    assert page.startswith("<!doctype html>") and re.search(r"<h1 [^>]*>P1 ", page)
    assert "hx-post" not in page.replace('hx-post="/inbox/' + str(first.pk) + '/presence/"', "")
    # htmx restoring its history wants the whole page too.
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in client_a.get(f"/inbox/{first.pk}/", headers=restore).content.decode()


def test_the_list_page_has_the_pane_and_ids_the_pane_forms_do_not_share(queue, client_a):
    client_a.force_login(UserFactory(role="responder"))
    page = client_a.get("/inbox/").content.decode()
    assert 'id="pane"' in page and "data-bulk-bar" in page and 'hx-get="/inbox/bulk/"' in page
    bar = client_a.get("/inbox/bulk/").content.decode()  # its forms, drawn at the first tick
    assert 'id="bulk_acknowledge-kind"' in bar and 'id="id_acknowledge-kind"' not in bar
    assert 'id="inbox-counts"' in page

    # ?open=<id> (kept in the address by inbox.js): the pane loads it again, through the
    # conversation view; it narrows nothing and the tabs do not carry it.
    _, (first, *_) = queue
    page = client_a.get("/inbox/", {"open": first.pk}).content.decode()
    assert f'hx-get="/inbox/{first.pk}/" hx-trigger="load"' in page
    counts = page.index('id="inbox-counts"')
    tabs = page[counts : page.index("</nav>", counts)]
    assert "Nobody is waiting" not in page and "open=" not in tabs


def test_an_action_in_the_pane_answers_with_the_next_mention_the_card_gone_and_the_counts(
    queue, client_a
):
    client_a.force_login(UserFactory(role="responder"))
    client, (first, second, third, _) = queue
    headers = from_the_list(client_a, f"client={client.pk}")
    done = client_a.post(
        f"/inbox/{first.pk}/acknowledge/",
        {"acknowledge-kind": "resolved_internally", "then": "next"},
        headers=headers,
    )
    html = done.content.decode()
    assert done.status_code == 200 and "<html" not in html
    assert shown_in_pane(html) == second.pk
    assert "Acknowledged 1 mention" in html
    assert f'<li id="card-{first.pk}" hx-swap-oob="delete">' in html
    assert re.search(r'id="inbox-counts"[^>]*hx-swap-oob="true"', html)
    assert count(html, "Open") == 3 and count(html, "Acknowledged") == 1
    assert Mention.objects.get(pk=first.pk).status == "acknowledged"

    # Oldest first: the next is the one after it in that order, whatever the handled one was.
    oldest_first = from_the_list(client_a, f"client={client.pk}&ordering=posted_at")
    done = client_a.post(
        f"/inbox/{third.pk}/dismiss/", {"dismiss-reason": "spam", "then": "next"},
        headers=oldest_first,
    )  # fmt: skip
    assert shown_in_pane(done.content.decode()) == second.pk  # fourth came before third
    assert count(done.content.decode(), "Open") == 2


def test_a_card_the_list_still_holds_is_updated_in_place(queue, client_a):
    client_a.force_login(UserFactory(role="responder"))
    client, (first, second, *_) = queue
    support = TeamFactory(name="Support")
    done = client_a.post(
        f"/inbox/{first.pk}/escalate/",
        {"escalate-team": support.pk, "escalate-note": "Refund?", "then": "next"},
        headers=from_the_list(client_a, f"client={client.pk}"),
    )
    html = done.content.decode()
    assert shown_in_pane(html) == second.pk
    card = re.search(rf'<li [^>]*id="card-{first.pk}"[^>]*>.*?</li>', html, re.S)[0]
    assert 'hx-swap-oob="true"' in card and "Escalated" in card and "Support" in card
    assert count(html, "Open") == 4 and count(html, "Escalated") == 1


def test_without_then_next_the_pane_shows_the_same_mention_again(queue, client_a):
    client_a.force_login(UserFactory(role="responder"))
    client, (first, *_) = queue
    done = client_a.post(
        f"/inbox/{first.pk}/acknowledge/", {"acknowledge-kind": "resolved_internally"},
        headers=from_the_list(client_a, f"client={client.pk}"),
    )  # fmt: skip
    html = done.content.decode()
    assert shown_in_pane(html) == first.pk and "Resolved internally" in html
    assert f'<li id="card-{first.pk}" hx-swap-oob="delete">' in html


def test_the_last_one_handled_leaves_an_empty_pane_saying_so(queue, client_a):
    client_a.force_login(UserFactory(role="responder"))
    client, mentions = queue
    Mention.objects.filter(pk__in=[m.pk for m in mentions[1:]]).update(status="dismissed")
    done = client_a.post(
        f"/inbox/{mentions[0].pk}/dismiss/", {"dismiss-reason": "spam", "then": "next"},
        headers=from_the_list(client_a, f"client={client.pk}"),
    )  # fmt: skip
    html = done.content.decode()
    assert "data-pane-mention" not in html and "Nobody else is waiting in this list" in html
    assert "Dismissed 1 mention" in html and count(html, "Open") == 0


def test_errors_come_back_in_the_pane_and_the_checks_stay_those_of_the_page(queue, client_a):
    client, (first, *_) = queue
    headers = from_the_list(client_a, f"client={client.pk}")
    client_a.force_login(UserFactory(role="responder"))
    no_reason = client_a.post(
        f"/inbox/{first.pk}/dismiss/", {"dismiss-reason": " "}, headers=headers
    )
    assert no_reason.status_code == 400 and "<html" not in no_reason.content.decode()
    assert 'id="id_dismiss-reason_error"' in no_reason.content.decode()
    assert shown_in_pane(no_reason.content.decode()) == first.pk

    client_a.force_login(UserFactory(role="client_viewer"))  # of no client: sees nothing
    assert client_a.get(f"/inbox/{first.pk}/", headers=headers).status_code == 404
    assert client_a.post(f"/inbox/{first.pk}/dismiss/", {"dismiss-reason": "x"},
                         headers=headers).status_code == 404  # fmt: skip
    assert Mention.objects.get(pk=first.pk).status == "new"

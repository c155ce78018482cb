"""Mention lists in the orders of SPEC §11: newest, oldest, SLA due first, priority first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.services import customer_import_csv
from apps.listening.models import Mention
from tests.channels.factories import make_channel, store_mentions

POSTED = datetime(2026, 11, 16, 9, tzinfo=UTC)
COMPLAINT = "This is terrible: you charged me twice and the support is useless, awful"
QUESTION = "What time do you open on Sunday?"


def said(external_id, text, handle, at, followers=0):
    return MentionData(
        external_id=external_id, text=text, posted_at=at,
        author=AuthorData(handle=handle, display_name=handle.title(), followers=followers),
    )  # fmt: skip


def listed(api, query: str) -> list[dict]:
    response = api.get(f"/api/v1/mentions/?{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def channel(in_agency_a):
    return make_channel(name="Reviews")


def test_priority_ranks_an_unhappy_valued_influential_customer_above_a_strangers_question(
    api, channel
):
    store_mentions(
        channel,
        [
            said("q", QUESTION, "stranger", POSTED),
            # Posted later: newest-first and oldest-first cannot explain the order below.
            said("c", COMPLAINT, "vip", POSTED + timedelta(minutes=30), followers=250_000),
        ],
    )
    # The CRM import comes after the mentions were stored: it re-scores them.
    customer_import_csv(
        client=channel.client,
        file_bytes=b"name,email,handles,lifetime_value,segment,tags\n"
        b"Vera Ip,vera@example.test,rss:vip,25000,gold,\n",
    )

    by_priority = listed(api, f"client={channel.client_id}&ordering=-priority_score")
    assert [m["external_id"] for m in by_priority] == ["c", "q"]
    complaint, question = by_priority
    assert complaint["author"]["is_customer"] and complaint["sentiment"] == "negative"
    assert complaint["priority_score"] > question["priority_score"]
    oldest = listed(api, f"client={channel.client_id}&ordering=posted_at")
    assert [m["external_id"] for m in oldest] == ["q", "c"]


def test_a_question_left_waiting_long_enough_rises_above_a_fresh_complaint(api, channel):
    store_mentions(
        channel,
        [
            said("old", QUESTION, "stranger", POSTED - timedelta(days=4)),
            said("new", COMPLAINT, "grumpy", POSTED, followers=5_000),
        ],
    )
    ranked = listed(api, f"client={channel.client_id}&ordering=-priority_score")
    assert [m["external_id"] for m in ranked] == ["old", "new"]
    # One point an hour of waiting: 4 days apart, the question is 96 points up on waiting.
    assert ranked[0]["priority_score"] - ranked[1]["priority_score"] > 40


def test_sla_due_first_puts_mentions_without_a_due_date_last(api, channel):
    store_mentions(
        channel, [said(str(n), f"Question number {n}?", f"p{n}", POSTED) for n in range(3)]
    )
    due = {"0": POSTED + timedelta(hours=5), "2": POSTED + timedelta(hours=1)}
    for external_id, at in due.items():
        Mention.objects.filter(external_id=external_id).update(sla_due_at=at)
    ranked = listed(api, f"client={channel.client_id}&ordering=sla_due_at")
    assert [m["external_id"] for m in ranked] == ["2", "0", "1"]
    assert ranked[0]["sla_due_at"].startswith("2026-11-16T10:00")


def test_newest_first_is_the_default_and_an_unknown_ordering_is_a_field_error(api, channel):
    store_mentions(
        channel,
        [said(str(n), f"Note {n} here", f"p{n}", POSTED + timedelta(hours=n)) for n in range(3)],
    )
    newest = [m["external_id"] for m in listed(api, f"client={channel.client_id}")]
    assert newest == ["2", "1", "0"]
    assert [
        m["external_id"] for m in listed(api, f"client={channel.client_id}&ordering=-posted_at")
    ] == newest
    for bad in ("priority_score", "-sla_due_at", "text", ""):
        response = api.get(f"/api/v1/mentions/?ordering={bad}")
        if bad == "":  # an empty value is no ordering at all
            assert response.status_code == 200
            continue
        assert response.status_code == 400, bad
        assert "ordering" in response.json()

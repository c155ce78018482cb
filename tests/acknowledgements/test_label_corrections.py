"""A person's correction of a mention's sentiment and intent wins over the model in every report,
is audited, is never re-scored, and can be exported as a labelled set."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pypdf
import pytest

from apps.accounts.models import User
from apps.acknowledgements.models import AuditEntry
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from apps.listening.services import mentions_rescore
from tests.accounts.factories import UserFactory
from tests.api.conftest import api_client
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD, host_client

MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
PERIOD = {"since": "2026-10-05", "until": "2026-10-11"}
SAID = {
    "charged": "Order was charged twice, can someone help?",
    "beans": "Love the new beans, thank you!",
    "hours": "What time do you open on Sunday?",
}


@pytest.fixture
def harbor(in_agency_a):
    """One complaint, one thanks and one question in the week of 5 October 2026."""
    client = ClientFactory(name="Harbor Bank", slug="harbor", timezone="UTC")
    channel = make_channel(platform="webhook", config={}, client=client, name="Mentions")
    items = [
        MentionData(external_id=key, text=text, posted_at=MONDAY + timedelta(hours=n),
                    author=AuthorData(handle=f"person{n}", display_name=f"Person {n}"))
        for n, (key, text) in enumerate(SAID.items())
    ]  # fmt: skip
    store_mentions(channel, items)
    return client


def mention(key: str) -> Mention:
    return Mention.objects.get(external_id=key)


def signed_in(agency, user: User):
    user.set_password(PASSWORD)
    user.save()
    browser = host_client(agency)
    assert browser.login(username=user.email, password=PASSWORD)
    return browser


def figures(agency, browser, api, client) -> dict[str, tuple[int, int, int]]:
    """Positive, neutral and negative counts as the dashboard, the PDF and the API report show
    them for the week."""
    dashboard = browser.get(f"/reports/clients/{client.pk}/", PERIOD).context["report"]
    pdf = browser.get(f"/reports/clients/{client.pk}/report.pdf", PERIOD).content
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    report = api.get(f"/api/v1/clients/{client.pk}/report/", PERIOD).json()

    def counted(sentiment: dict) -> tuple[int, int, int]:
        return sentiment["positive"], sentiment["neutral"], sentiment["negative"]

    def in_pdf(label: str) -> int:
        found = re.search(rf"{label} mentions\s+(\d+)", text)
        assert found, text
        return int(found.group(1))

    return {
        "dashboard": counted(dashboard["sentiment"]),
        "pdf": (in_pdf("Positive"), in_pdf("Neutral"), in_pdf("Negative")),
        "api": counted(report["sentiment"]),
    }


def test_the_model_reads_the_care_cases_before_anyone_corrects_them(harbor):
    labels = {key: (mention(key).sentiment, mention(key).intent) for key in SAID}
    assert labels == {
        "charged": ("negative", "complaint"),
        "beans": ("positive", "praise"),
        "hours": ("neutral", "question"),
    }


def test_a_correction_on_the_conversation_page_changes_dashboard_pdf_and_api_report(
    harbor, agency_a
):
    owner = User.objects.get(email="owner@alpha.test")
    browser, api = signed_in(agency_a, owner), api_client(agency_a, owner)
    assert set(figures(agency_a, browser, api, harbor).values()) == {(1, 1, 1)}
    question = mention("hours")

    response = browser.post(
        f"/inbox/{question.pk}/labels/",
        {"labels-sentiment": "negative", "labels-intent": "complaint"},
    )

    assert response.status_code == 302
    assert set(figures(agency_a, browser, api, harbor).values()) == {(1, 0, 2)}
    question.refresh_from_db()
    assert (question.sentiment, question.intent, question.sentiment_corrected) == (
        "negative", "complaint", True,
    )  # fmt: skip
    page = browser.get(f"/inbox/{question.pk}/").content.decode()
    assert "Sentiment: neutral → negative" in page and "Intent: question → complaint" in page
    assert "owner@alpha.test" in page
    [entry] = AuditEntry.objects.filter(object_type="mention", object_id=question.pk)
    assert (entry.actor, entry.action) == (owner, "correct")
    assert (entry.before["sentiment"], entry.after["sentiment"]) == ("neutral", "negative")


def test_a_correction_through_the_api_changes_every_report_and_is_audited(harbor, agency_a):
    responder = UserFactory(role="responder", email="rita@alpha.test")
    ClientMembershipFactory(user=responder, client=harbor, role="responder")
    owner = User.objects.get(email="owner@alpha.test")
    browser, api = signed_in(agency_a, owner), api_client(agency_a, responder)
    complaint = mention("charged")
    model_score = complaint.sentiment_score

    response = api.patch(
        f"/api/v1/mentions/{complaint.pk}/", {"sentiment": "positive"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["sentiment"], body["intent"], body["sentiment_corrected"]) == (
        "positive", "complaint", True,
    )  # fmt: skip
    assert set(figures(agency_a, browser, api_client(agency_a, owner), harbor).values()) == {
        (2, 1, 0)
    }
    complaint.refresh_from_db()
    assert complaint.model_sentiment_score == model_score < 0 < complaint.sentiment_score
    [entry] = AuditEntry.objects.filter(object_type="mention", object_id=complaint.pk)
    assert (entry.actor, entry.before["sentiment"], entry.after["sentiment"]) == (
        responder, "negative", "positive",
    )  # fmt: skip
    listed = api.get("/api/v1/mentions/", {"client": harbor.pk, "intent": "complaint"}).json()
    assert [m["id"] for m in listed["results"]] == [complaint.pk]


def test_corrections_are_never_rescored(harbor, agency_a):
    owner = User.objects.get(email="owner@alpha.test")
    beans = mention("beans")
    api_client(agency_a, owner).patch(
        f"/api/v1/mentions/{beans.pk}/", {"sentiment": "neutral", "intent": "other"},
        format="json",
    )  # fmt: skip
    Mention.objects.exclude(pk=beans.pk).update(sentiment="", intent="", sentiment_score=None)

    assert mentions_rescore(unscored_only=False) == 2

    labels = {key: (mention(key).sentiment, mention(key).intent) for key in SAID}
    assert labels["beans"] == ("neutral", "other")
    assert labels["charged"] == ("negative", "complaint")


def test_client_users_cannot_correct_labels(harbor, agency_a):
    viewer = UserFactory(role="client_responder")
    ClientMembershipFactory(user=viewer, client=harbor, role="client_responder")
    complaint = mention("charged")

    through_api = api_client(agency_a, viewer).patch(
        f"/api/v1/mentions/{complaint.pk}/", {"sentiment": "positive"}, format="json"
    )
    browser = signed_in(agency_a, viewer)
    through_page = browser.post(
        f"/inbox/{complaint.pk}/labels/", {"labels-sentiment": "positive", "labels-intent": "other"}
    )

    assert (through_api.status_code, through_page.status_code) == (403, 403)
    assert 'id="labels-form"' not in browser.get(f"/inbox/{complaint.pk}/").content.decode()
    complaint.refresh_from_db()
    assert (complaint.sentiment, complaint.sentiment_corrected) == ("negative", False)
    assert not AuditEntry.objects.filter(object_type="mention", object_id=complaint.pk).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sentiment": "furious"}, "sentiment"),
        ({"intent": "rant"}, "intent"),
        ({}, "sentiment"),
        ({"sentiment": "negative", "status": "acknowledged"}, "status"),
    ],
)
def test_a_bad_correction_is_a_400_naming_the_field(harbor, agency_a, body, field):
    owner = User.objects.get(email="owner@alpha.test")
    complaint = mention("charged")
    response = api_client(agency_a, owner).patch(
        f"/api/v1/mentions/{complaint.pk}/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    complaint.refresh_from_db()
    assert (complaint.status, complaint.sentiment_corrected) == ("new", False)


def test_a_bad_correction_on_the_page_shows_the_form_again(harbor, agency_a):
    browser = signed_in(agency_a, User.objects.get(email="owner@alpha.test"))
    complaint = mention("charged")
    response = browser.post(f"/inbox/{complaint.pk}/labels/", {"labels-sentiment": "furious"})
    assert response.status_code == 400
    assert 'id="labels-form"' in response.content.decode()
    assert not Mention.objects.filter(sentiment_corrected=True).exists()


def test_corrected_mentions_export_as_a_labelled_csv(harbor, agency_a):
    owner = User.objects.get(email="owner@alpha.test")
    question = mention("hours")
    api_client(agency_a, owner).patch(
        f"/api/v1/mentions/{question.pk}/", {"sentiment": "negative", "intent": "complaint"},
        format="json",
    )  # fmt: skip

    response = signed_in(agency_a, owner).get(
        f"/reports/clients/{harbor.pk}/corrected-labels.csv", PERIOD
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="harbor-corrected-labels-2026-10-05-to-2026-10-11.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    row = rows[0]
    assert (row["id"], row["text"], row["sentiment"], row["intent"]) == (
        str(question.pk), SAID["hours"], "negative", "complaint",
    )  # fmt: skip
    assert (row["model_sentiment"], row["model_intent"]) == ("neutral", "question")
    assert row["corrected_at"].startswith("20")

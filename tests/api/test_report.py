"""``GET /api/v1/clients/{id}/report/``: the figures of SPEC §6 for whole days of a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apps.acknowledgements.models import SlaPolicy
from apps.acknowledgements.services import mention_acknowledge, sla_breaches_detect
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from apps.listening.services import query_create
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, CustomerFactory

DAY = datetime(2026, 11, 2, 10, tzinfo=UTC)  # a Monday; the client is on UTC


def said(external_id, text, handle, day=0):
    return MentionData(
        external_id=external_id, text=text, posted_at=DAY + timedelta(days=day),
        author=AuthorData(handle=handle, display_name=handle.title()),
    )  # fmt: skip


def test_the_report_has_the_hand_computed_figures(api, owner):
    client = ClientFactory(timezone="UTC")
    rival = query_create(client=client, name="Rival", expression="brewhaus", is_competitor=True)
    channel = make_channel(client=client)
    store_mentions(
        channel,
        [
            said("1", "I love the #oatlatte, wonderful", "ana", 0),
            said("2", "Terrible queue again #queue", "ben", 0),
            said("3", "Brewhaus opened a shop on Main Street", "cy", 1),
            said("4", "Opening hours?", "dee", 1),
            said("5", "Last month's question", "eve", -10),  # before the period
        ],
    )
    times = {"1": 10, "2": 30, "3": 60}  # minutes to acknowledge (always open: no SLA policy)
    for external_id, minutes in times.items():
        mention = Mention.objects.select_related("author").get(external_id=external_id)
        mention_acknowledge(
            mention=mention, user=owner, kind="resolved_internally",
            at=mention.posted_at + timedelta(minutes=minutes),
        )  # fmt: skip

    response = api.get(f"/api/v1/clients/{client.pk}/report/?since=2026-11-02&until=2026-11-03")
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["mention_count"] == 4 and report["needing_acknowledgement"] == 4
    assert report["acknowledged"] == 3 and report["acknowledgement_rate"] == 0.75
    assert report["median_time_to_acknowledge_minutes"] == 30.0
    assert report["p90_time_to_acknowledge_minutes"] == 54.0  # 30 + 0.8 * (60 - 30)
    assert report["sentiment"]["positive"] == 1 and report["sentiment"]["negative"] == 1
    assert report["mention_volume"]["by_day"] == [
        {"date": "2026-11-02", "count": 2}, {"date": "2026-11-03", "count": 2},
    ]  # fmt: skip
    assert report["share_of_voice"] == {"brand": 3, "competitors": {"Rival": 1}, "share": 0.75}
    assert {"hashtag": "#oatlatte", "count": 1} in report["top_hashtags"]
    assert report["advocacy_funnel"]["acknowledged"] == 3
    assert report["members"][0]["replies"] == 3 and report["members"][0]["user"] == owner.pk
    assert report["previous"]["since"] == "2026-10-31"
    assert report["previous"]["mention_count"] == 0
    assert rival.pk  # the competitor query is what made mention 3 a rival's


def test_a_backwards_period_is_a_400(api):
    client = ClientFactory()
    response = api.get(f"/api/v1/clients/{client.pk}/report/?since=2026-11-05&until=2026-11-01")
    assert response.status_code == 400 and "until" in response.json()
    bad = api.get(f"/api/v1/clients/{client.pk}/report/?since=yesterday")
    assert bad.status_code == 400 and "since" in bad.json()


def test_sla_crm_advocacy_and_next_response_figures(api, owner):
    """Three people on a Monday, a 30-minute target around the clock: Ana answered in 10 minutes
    (met), Ben in 45 (missed), Cy never (missed). Ana and Ben are customers worth
    500 and 200; Cy is worth 900 but was never acknowledged. Ana follows up in her thread and is
    answered 5 minutes later, then praises the brand: an advocate gained."""
    client = ClientFactory(timezone="UTC")
    SlaPolicy.objects.create(client=client, business_hours_only=False, targets={"normal": 30})
    channel = make_channel(client=client)
    store_mentions(
        channel,
        [said("a", "Where is my parcel", "ana"), said("b", "Card declined", "ben"),
         said("c", "App logs me out", "cy")],
    )  # fmt: skip
    for external_id, value in (("a", 500), ("b", 200), ("c", 900)):
        Mention.objects.filter(external_id=external_id).update(
            customer=CustomerFactory(client=client, lifetime_value=value)
        )
    for external_id, minutes in (("a", 10), ("b", 45)):
        mention = Mention.objects.select_related("author").get(external_id=external_id)
        mention_acknowledge(
            mention=mention, user=owner, kind="replied_elsewhere", text="Hi",
            at=mention.posted_at + timedelta(minutes=minutes),
        )  # fmt: skip
    follow_up = MentionData(
        external_id="a2", text="Still nothing here", parent_external_id="a",
        posted_at=DAY + timedelta(hours=1), author=AuthorData(handle="ana", display_name="Ana"),
    )  # fmt: skip
    store_mentions(channel, [follow_up])
    mention = Mention.objects.select_related("author").get(external_id="a2")
    assert mention.is_follow_up
    mention_acknowledge(
        mention=mention, user=owner, kind="replied_elsewhere", text="Ana, checking",
        at=mention.posted_at + timedelta(minutes=5),
    )  # fmt: skip
    store_mentions(channel, [said("a3", "Arrived, thank you so much, brilliant!", "ana", 0.5)])
    sla_breaches_detect()

    report = api.get(f"/api/v1/clients/{client.pk}/report/?since=2026-11-02&until=2026-11-02")
    report = report.json()
    # Met: Ana (10 min) and her follow-up (5 min). Missed: Ben (45), Cy and Ana's later praise
    # (never answered, long past due).
    assert report["sla_attainment"] == 0.4
    assert report["crm_value_of_acknowledged_customers"] == 700.0
    assert report["advocates_gained"] == 1
    assert report["median_time_to_acknowledge_minutes"] == 27.5  # first responses 10 and 45
    assert report["median_next_response_minutes"] == 5.0
    buckets = {b["bucket"]: b["count"] for b in report["time_to_acknowledge_distribution"]}
    assert (buckets["< 15 min"], buckets["15-60 min"], buckets["> 1 day"]) == (1, 1, 0)
    assert report["advocacy_funnel"] == {
        "acknowledged": 2, "returned": 1, "positive": 1, "advocate": 1,
    }  # fmt: skip

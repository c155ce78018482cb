"""Customers helping customers: who answered whom, through the community endpoint."""

from __future__ import annotations

from apps.clients.services import client_accounts_set
from apps.community.models import Person
from apps.listening.models import Mention
from tests.api.conftest import api_client
from tests.channels.factories import store_mentions
from tests.community.conftest import SINCE, UNTIL, said


def community(api, client_id, since=SINCE, until=UNTIL):
    response = api.get(f"/api/v1/clients/{client_id}/community/?since={since}&until={until}")
    assert response.status_code == 200, response.content
    return response.json()


def mention(external_id: str) -> int:
    return Mention.objects.get(external_id=external_id).pk


def test_mark_is_a_helper_with_two_answers_on_two_platforms(threads, api):
    body = community(api, threads.client.pk)
    mark = Person.objects.get(client=threads.client, name="Mark Reed")
    assert body["helpers"] == [
        {
            "person": mark.pk,
            "name": "Mark Reed",
            "handle": "mark@bikes.social",
            "answers": 2,
            "mention_ids": [mention("m1"), mention("m2")],
        }
    ]


def test_the_brands_own_replies_never_count_as_help(threads, api):
    # The brand answered three times (Ana, Joe, a fan): more than Mark, and still no helper.
    body = community(api, threads.client.pk)
    brand_replies = {mention("b1"), mention("b2"), mention("b3")}
    assert all(not brand_replies & set(h["mention_ids"]) for h in body["helpers"])
    assert [h["handle"] for h in body["helpers"]] == ["mark@bikes.social"]


def test_a_brand_account_named_on_one_platform_never_counts_as_help(threads, api):
    """The brand's Reddit account (``brand_accounts``, not a handle on every platform) answers
    Joe twice: its replies are the brand's, not the community's."""
    store_mentions(threads.reddit, [
        said("r1", "lumenbikesofficial", "Joe, a new battery is on its way to you today.", 55,
             parent="j1", name="Lumen Bikes"),
        said("r2", "lumenbikesofficial", "Ana, the brake pads guide is pinned on our page.", 56,
             parent="j1", name="Lumen Bikes"),
    ])  # fmt: skip
    client_accounts_set(
        client=threads.client,
        brand_accounts=[{"platform": "reddit", "handle": "lumenbikesofficial"}],
    )
    body = community(api, threads.client.pk)
    assert [h["handle"] for h in body["helpers"]] == ["mark@bikes.social"]


def test_anas_question_was_answered_by_the_community_before_the_brand(threads, api):
    # Ana's is the period's only question; Mark answered it ten minutes in, the brand at two h.
    assert community(api, threads.client.pk)["community_answer_share"] == 1.0


def test_a_question_the_brand_answered_first_is_not_the_communitys(threads, api):
    from tests.channels.factories import store_mentions
    from tests.community.conftest import said

    store_mentions(threads.reddit, [
        said("q2", "lea_b", "Does the Lumen charger work with 110V outlets?", 200),
        said("b4", "lumen", "Yes Lea, it takes 100 to 240 volts.", 205, parent="q2"),
        said("m3", "mark_rides", "Lea, mine works fine on 110V in Boston.", 230, parent="q2"),
    ])  # fmt: skip
    body = community(api, threads.client.pk)
    assert body["community_answer_share"] == 0.5  # Ana's yes, Lea's no
    assert body["helpers"][0]["answers"] == 3  # a late answer is still help


def test_one_answer_makes_no_helper_and_a_me_too_is_no_answer(threads, api):
    from tests.channels.factories import store_mentions
    from tests.community.conftest import said

    store_mentions(threads.reddit, [
        said("q3", "sam_k", "Where can I get my Lumen serviced in Leeds?", 300),
        said("a3", "joe_p", "Sam, the Leeds dealer on Kirkgate did mine in a day.", 320,
             parent="q3"),
        said("t3", "ria_x", "Same here, I would like to know too.", 330, parent="q3"),
    ])  # fmt: skip
    handles = [h["handle"] for h in community(api, threads.client.pk)["helpers"]]
    assert handles == ["mark@bikes.social"]  # Joe answered once, Ria only said "me too"


def test_answers_outside_the_period_do_not_count(threads, api):
    body = community(api, threads.client.pk, since="2026-10-01", until="2026-10-31")
    assert body["helpers"] == [] and body["community_answer_share"] is None


def test_a_client_viewer_sees_their_clients_community_only(threads, agency_a):
    from tests.accounts.factories import UserFactory
    from tests.clients.factories import ClientFactory, ClientMembershipFactory

    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=threads.client)
    api = api_client(agency_a, viewer)
    assert community(api, threads.client.pk)["helpers"][0]["answers"] == 2
    other = ClientFactory()
    assert api.get(f"/api/v1/clients/{other.pk}/community/").status_code == 404


def test_a_bad_period_is_a_400_naming_the_field(threads, api):
    url = f"/api/v1/clients/{threads.client.pk}/community/"
    response = api.get(url + "?since=2026-13-01")
    assert response.status_code == 400 and "since" in response.json()
    response = api.get(url + "?since=2026-11-30&until=2026-11-01")
    assert response.status_code == 400 and "until" in response.json()

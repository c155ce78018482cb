"""People across platforms: CRM links, evidence that waits for staff, audited merges and splits."""

from __future__ import annotations

from datetime import UTC, datetime

from apps.acknowledgements.models import AuditEntry
from apps.clients.services import customer_import_csv
from apps.community.models import Person, PersonAuthor, PersonLinkSuggestion
from apps.community.services import people_refresh
from apps.listening.models import Author, Mention
from tests.accounts.factories import UserFactory
from tests.api.conftest import api_client
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.community.conftest import said


def people_of(client) -> dict[str, set[str]]:
    """Each person's name → the platform:handle of their authors."""
    return {
        person.name: {f"{link.author.platform}:{link.author.handle}" for link in person.links.all()}
        for person in Person.objects.filter(client=client).prefetch_related("links__author")
    }


def two_channels(client):
    site = make_channel(platform="webhook", config={}, client=client, name="Site")
    shop = make_channel(platform="csv", config={}, client=client, name="Shop reviews")
    return site, shop


def test_two_authors_with_the_same_crm_email_become_one_person(in_agency_a, api):
    client = ClientFactory()
    site, shop = two_channels(client)
    store_mentions(site, [said("s1", "ana.ruiz@example.test", "Lovely bikes", 0)])
    store_mentions(shop, [said("r1", "ana.ruiz@example.test", "Fast delivery", 5)])
    store_mentions(shop, [said("r2", "joe@example.test", "Slow delivery", 9)])
    # Every author is a person of their own until something links them.
    assert Person.objects.filter(client=client).count() == 3

    customer_import_csv(
        client=client,
        file_bytes=b"name,email,handles,lifetime_value,segment,tags\n"
        b"Ana Ruiz,ana.ruiz@example.test,,1200,VIP,\n",
    )
    assert people_of(client) == {
        "Ana Ruiz": {"webhook:ana.ruiz@example.test", "csv:ana.ruiz@example.test"},
        "joe@example.test": {"csv:joe@example.test"},
    }
    ana = Person.objects.get(client=client, name="Ana Ruiz")
    body = api.get(f"/api/v1/people/{ana.pk}/").json()
    assert {a["platform"] for a in body["authors"]} == {"webhook", "csv"}
    assert {a["linked_by"] for a in body["authors"]} == {"crm"}
    assert body["customer"]["email"] == "ana.ruiz@example.test"
    assert body["summary"]["mentions"] == 2


def test_a_new_handle_the_crm_knows_joins_its_person_as_it_is_stored(threads):
    # The fixture imported Mark's CRM record before any of his mentions arrived.
    assert people_of(threads.client)["Mark Reed"] == {
        "mastodon:mark@bikes.social", "reddit:mark_rides",
    }  # fmt: skip


def ana_twice(client):
    """Ana on Mastodon and on Bluesky: same name, her Mastodon profile names her Bluesky
    handle."""
    site, shop = two_channels(client)
    store_mentions(
        site,
        [
            said(
                "s1",
                "ana@bikes.social",
                "Lovely bikes",
                0,
                name="Ana Ruiz",
                profile_url="https://bikes.social/@ana?also=anaruiz.bsky",
            )
        ],
    )
    store_mentions(shop, [said("r1", "anaruiz", "Fast delivery", 5, name="Ana Ruiz")])
    return (
        Person.objects.get(links__author__handle="ana@bikes.social"),
        Person.objects.get(links__author__handle="anaruiz"),
    )  # fmt: skip


def test_a_suggested_link_is_shown_with_its_evidence_and_waits_for_staff(in_agency_a, api):
    client = ClientFactory()
    first, second = ana_twice(client)
    assert first.pk != second.pk  # evidence alone links nobody
    body = api.get(f"/api/v1/people/{first.pk}/").json()
    [suggestion] = body["suggestions"]
    assert suggestion["other_person"] == second.pk and suggestion["status"] == "pending"
    assert "names the csv handle anaruiz" in " ".join(suggestion["evidence"])

    # A client viewer sees the person, cannot decide.
    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=client)
    viewer_api = api_client(in_agency_a, viewer)
    assert viewer_api.get(f"/api/v1/people/{first.pk}/").status_code == 200
    merge = viewer_api.post(f"/api/v1/people/{first.pk}/merge/", {"person": second.pk})
    assert merge.status_code == 403
    assert Person.objects.filter(pk=second.pk).exists()


def test_a_shared_website_is_evidence_too_and_rejecting_is_audited(in_agency_a):
    from apps.community.services import link_suggestion_decide

    client = ClientFactory()
    site, shop = two_channels(client)
    store_mentions(site, [said("s1", "kim", "Hello", 0, profile_url="https://kimrides.example/")])
    store_mentions(shop, [said("r1", "kim_r", "Hi", 5, profile_url="http://www.kimrides.example")])
    suggestion = PersonLinkSuggestion.objects.get(client=client)
    assert suggestion.evidence == ["Both profiles link to the same website (kimrides.example)."]
    manager = UserFactory(role="manager")
    link_suggestion_decide(suggestion=suggestion, user=manager, accept=False)
    assert Person.objects.filter(client=client).count() == 2
    entry = AuditEntry.objects.get(action="reject_person_link")
    assert entry.actor == manager


def test_merge_and_split_through_the_api_are_audited(in_agency_a, api, owner):
    client = ClientFactory()
    first, second = ana_twice(client)
    response = api.post(f"/api/v1/people/{first.pk}/merge/", {"person": second.pk}, format="json")
    assert response.status_code == 200, response.content
    assert len(response.json()["authors"]) == 2
    assert response.json()["suggestions"] == []  # the suggestion was accepted by the merge
    assert not Person.objects.filter(pk=second.pk).exists()
    merged = AuditEntry.objects.get(action="merge_person", object_id=first.pk)
    assert merged.actor == owner and merged.before["merged"]["person"] == second.pk

    bluesky = Author.objects.get(handle="anaruiz")
    response = api.post(
        f"/api/v1/people/{first.pk}/split/", {"authors": [bluesky.pk]}, format="json"
    )
    assert response.status_code == 201, response.content
    split = response.json()
    assert [a["handle"] for a in split["authors"]] == ["anaruiz"]
    assert AuditEntry.objects.filter(action="split_person").count() == 2
    assert {link.linked_by for link in PersonAuthor.objects.filter(client=client)} == {"staff"}


def test_merge_and_split_refuse_bad_input_with_field_errors(in_agency_a, api):
    client, elsewhere = ClientFactory(), ClientFactory()
    first, _ = ana_twice(client)
    site = make_channel(platform="webhook", config={}, client=elsewhere, name="Other")
    store_mentions(site, [said("x1", "zed", "Hello there", 0)])
    theirs = Person.objects.get(client=elsewhere)
    url = f"/api/v1/people/{first.pk}/"
    assert api.post(url + "merge/", {"person": first.pk}, format="json").json() == {
        "person": ["A person cannot be merged with themselves."]
    }
    assert "person" in api.post(url + "merge/", {"person": theirs.pk}, format="json").json()
    assert "person" in api.post(url + "merge/", {"person": "x"}, format="json").json()
    assert "person" in api.post(url + "merge/", {}, format="json").json()
    mine = first.links.get().author_id
    assert "authors" in api.post(url + "split/", {"authors": [mine]}, format="json").json()
    assert "authors" in api.post(url + "split/", {"authors": []}, format="json").json()
    assert "authors" in api.post(url + "split/", {"authors": [10**9]}, format="json").json()


def test_the_crm_never_undoes_a_staff_split(threads, owner):
    from apps.community.services import person_split

    mark = Person.objects.get(client=threads.client, name="Mark Reed")
    reddit = Author.objects.get(handle="mark_rides")
    person_split(person=mark, author_ids=[reddit.pk], user=owner)
    customer_import_csv(
        client=threads.client,
        file_bytes=(
            b"name,email,handles,lifetime_value,segment,tags\n"
            b"Mark Reed,mark@example.test,mastodon:mark@bikes.social;reddit:mark_rides,900,VIP,\n"
        ),
    )
    assert Person.objects.get(links__author=reddit).pk != mark.pk


def test_people_lists_are_scoped_and_searchable(threads, agency_a, api):
    other = ClientFactory()
    store_mentions(make_channel(platform="webhook", config={}, client=other), [
        said("o1", "stranger", "Hello", 0),
    ])  # fmt: skip
    names = {p["name"] for p in api.get("/api/v1/people/").json()["results"]}
    assert {"Mark Reed", "Ana Ruiz", "stranger"} <= names
    found = api.get(f"/api/v1/people/?client={threads.client.pk}&q=mark_rides").json()
    assert [p["name"] for p in found["results"]] == ["Mark Reed"]
    assert api.get("/api/v1/people/?client=abc").status_code == 400

    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=threads.client)
    viewer_api = api_client(agency_a, viewer)
    names = {p["name"] for p in viewer_api.get("/api/v1/people/").json()["results"]}
    assert "stranger" not in names and "Mark Reed" in names
    stranger = Person.objects.get(client=other)
    assert viewer_api.get(f"/api/v1/people/{stranger.pk}/").status_code == 404


def test_authors_stored_around_ingest_get_their_people_on_refresh(in_agency_a):
    client = ClientFactory()
    channel = make_channel(platform="webhook", config={}, client=client)
    author = Author.objects.create(platform="webhook", handle="loaded", display_name="Loaded")
    Mention.objects.create(
        client=client, channel=channel, platform="webhook", external_id="raw", author=author,
        text="Copied in", posted_at=datetime(2026, 11, 1, tzinfo=UTC),
        fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
    )  # fmt: skip
    assert people_refresh(client=client) == 1
    assert people_of(client) == {"Loaded": {"webhook:loaded"}}
    assert people_refresh(client=client) == 0


def test_several_people_merge_at_once_or_not_at_all(in_agency_a, api):
    client = ClientFactory()
    site, shop = two_channels(client)
    store_mentions(site, [said("k1", "kim", "Hello", 0), said("k2", "kim2", "Hi", 1)])
    store_mentions(shop, [said("k3", "kim3", "Hey", 2)])
    kim, kim2, kim3 = (Person.objects.get(links__author__handle=h) for h in ("kim", "kim2", "kim3"))
    url = f"/api/v1/people/{kim.pk}/merge/"
    refused = api.post(url, {"people": [kim2.pk, kim.pk]}, format="json")
    assert refused.status_code == 400 and Person.objects.filter(pk=kim2.pk).exists()
    merged = api.post(url, {"people": [kim2.pk, kim3.pk]}, format="json")
    assert merged.status_code == 200
    assert {a["handle"] for a in merged.json()["authors"]} == {"kim", "kim2", "kim3"}


def test_a_person_whose_every_handle_was_purged_is_gone(in_agency_a, api):
    from datetime import timedelta

    from django.utils import timezone

    from apps.listening.services import mentions_purge_expired

    client = ClientFactory()
    site, _ = two_channels(client)
    old = said("o1", "long_gone", "Hello from long ago", 0)
    store_mentions(site, [old.__class__(**{**old.__dict__, "posted_at": timezone.now()
                                           - timedelta(days=400)})])  # fmt: skip
    person = Person.objects.get(client=client)
    assert api.get(f"/api/v1/people/{person.pk}/").status_code == 200
    mentions_purge_expired(days=30)
    assert api.get(f"/api/v1/people/{person.pk}/").status_code == 404

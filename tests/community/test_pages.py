"""The person page, the community page (helpers, topics, conversation map) and their links."""

from __future__ import annotations

from apps.acknowledgements.models import AuditEntry
from apps.community.models import Person, PersonLinkSuggestion
from apps.listening.models import Mention
from tests.accounts.factories import UserFactory
from tests.clients.factories import ClientMembershipFactory
from tests.community.conftest import SINCE, UNTIL, said
from tests.community.test_people import ana_twice
from tests.conftest import host_client


def browser(agency, role="responder", client=None):
    user = UserFactory(role=role)
    if client is not None:
        ClientMembershipFactory(user=user, client=client)
    web = host_client(agency)
    web.force_login(user)
    return web


def test_the_person_page_shows_every_channel_and_the_conversation_links_to_it(threads, agency_a):
    web = browser(agency_a)
    mark = Person.objects.get(client=threads.client, name="Mark Reed")
    answer = Mention.objects.get(external_id="m1")
    conversation = web.get(f"/inbox/{answer.pk}/").content.decode()
    assert f'href="/people/{mark.pk}/"' in conversation and "(2 handles)" in conversation

    page = web.get(f"/people/{mark.pk}/").content.decode()
    assert "@mark@bikes.social" in page and "@mark_rides" in page  # both platforms
    assert "clean the brake pads" in page and "firmware update" in page  # all he said
    assert "CRM record" in page and "900.00" in page  # why linked, and his value


def test_the_community_page_lists_helpers_with_a_suggested_thanks_and_draws_the_map(
    threads, agency_a
):
    web = browser(agency_a)
    page = web.get(f"/community/clients/{threads.client.pk}/?since={SINCE}&until={UNTIL}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Community helper" in html
    assert "Thank Mark for helping Ana with the brake squeal" in html
    assert "Answered Joe Parker" in html
    assert "100%" in html  # Ana's question: the community first
    # The map: labelled nodes for the brand and the people, counts on the arrows.
    svg = html[html.index('<svg class="chart conversation-map"') :]
    svg = svg[: svg.index("</svg>")]
    for label in ("Lumen Bikes", "Mark Reed", "Ana Ruiz", "Joe Parker"):
        assert f">{label}</text>" in svg, label
    assert 'class="node node-helper"' in svg and 'class="node node-brand"' in svg


def test_a_staff_member_links_a_suggested_person_and_it_is_audited(in_agency_a, agency_a):
    from tests.clients.factories import ClientFactory

    client = ClientFactory()
    first, second = ana_twice(client)
    viewer = browser(agency_a, "client_viewer", client=client)
    page = viewer.get(f"/people/{first.pk}/").content.decode()
    assert "names the csv handle anaruiz" in page and "Waiting for the agency" in page
    suggestion = PersonLinkSuggestion.objects.get(client=client)
    assert viewer.post(f"/people/suggestions/{suggestion.pk}/accept/").status_code == 403

    staff = browser(agency_a)
    response = staff.post(f"/people/suggestions/{suggestion.pk}/accept/")
    assert response.status_code == 302
    assert not Person.objects.filter(pk=second.pk).exists()
    assert AuditEntry.objects.filter(action="merge_person", object_id=first.pk).exists()
    page = staff.get(response["Location"]).content.decode()
    assert "Linked: they are one person now." in page and "@anaruiz" in page


def test_the_dashboard_shows_topics_drillable_to_their_mentions(threads, agency_a):
    from tests.channels.factories import store_mentions

    store_mentions(threads.mastodon, [
        said("q9", "lea_b", "The brake squeal came back on the hills.", 400),
    ])  # fmt: skip
    web = browser(agency_a)
    html = web.get(f"/reports/clients/{threads.client.pk}/?since={SINCE}&until={UNTIL}")
    html = html.content.decode()
    assert "<h2>Topics</h2>" in html
    assert f"/listening/mentions/?client={threads.client.pk}&amp;q=%22brake%20squeal%22" in html
    assert f"/community/clients/{threads.client.pk}/?since={SINCE}" in html


def test_the_inbox_filters_and_badges_community_helpers(in_agency_a, agency_a):
    from datetime import UTC, datetime, timedelta

    from apps.channels.connectors.base import AuthorData, MentionData
    from tests.channels.factories import make_channel, store_mentions
    from tests.clients.factories import ClientFactory

    client = ClientFactory(brand_handles=["lumen"])
    channel = make_channel(platform="webhook", config={}, client=client)
    now = datetime.now(UTC)

    def line(key, handle, text, hours_ago, parent=""):
        return MentionData(
            external_id=key, text=text, posted_at=now - timedelta(hours=hours_ago),
            author=AuthorData(handle=handle, display_name=handle.title()),
            parent_external_id=parent, kind="reply" if parent else "post",
        )  # fmt: skip

    store_mentions(channel, [
        line("q1", "ana", "How do I fix the brake squeal?", 30),
        line("q2", "joe", "Where do I find the battery firmware update?", 20),
        line("a1", "mark", "Ana, clean the pads and bed them in again.", 29, "q1"),
        line("a2", "mark", "Joe, it is in the app under settings and updates.", 19, "q2"),
        line("a3", "lumen", "Joe, Mark is right, it is under settings.", 18, "q2"),
    ])  # fmt: skip
    web = browser(agency_a)
    everyone = web.get(f"/inbox/?client={client.pk}&status=all").content.decode()
    assert everyone.count(">Community helper</span>") == 2  # Mark's two answers
    helpers = web.get(f"/inbox/?client={client.pk}&status=all&helper=on").content.decode()
    assert "clean the pads" in helpers and "under settings and updates" in helpers
    assert "brake squeal" not in helpers and "Mark is right" not in helpers

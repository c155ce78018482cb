"""The responders' inbox, through HTTP on an agency's host: the filtered list with its counts and
bulk actions, a mention's conversation and its actions, and who may see and do what."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.acknowledgements.models import Acknowledgement, AuditEntry, SlaPolicy
from apps.acknowledgements.services import saved_reply_create
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Customer
from apps.listening.models import Author, Mention
from apps.tenants.services import agency_host
from tests.accounts.factories import TeamFactory, UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory

NOW = datetime.now(UTC).replace(microsecond=0)


def said(external_id, text, handle, name="", parent="", hours_ago=1):
    return MentionData(
        external_id=external_id, text=text, posted_at=NOW - timedelta(hours=hours_ago),
        author=AuthorData(handle=handle, display_name=name), parent_external_id=parent,
    )  # fmt: skip


def stored(channel, *items) -> list[Mention]:
    store_mentions(channel, items)
    by_id = {m.external_id: m for m in Mention.objects.filter(channel=channel)}
    return [by_id[item.external_id] for item in items]


def listed(response) -> set[int]:
    """The mentions a list page shows."""
    return {int(pk) for pk in re.findall(r'data-mention="(\d+)"', response.content.decode())}


def signed_in(client: Client, role: str = "responder", **fields):
    user = UserFactory(role=role, **fields)
    client.force_login(user)
    return user


@pytest.fixture
def world(in_agency_a):
    """Northwind (two channels) and Southway, with mentions that differ in one filter each."""
    north, south = ClientFactory(name="Northwind"), ClientFactory(name="Southway")
    hook = make_channel(platform="webhook", config={}, client=north, name="North hook")
    forum = make_channel(platform="webhook", config={}, client=north, name="North forum")
    south_hook = make_channel(platform="webhook", config={}, client=south, name="South hook")
    support = TeamFactory(name="Support")
    fan, angry, big, done = stored(
        hook,
        said("n1", "The cold brew is wonderful", "ana", "Ana Lima", hours_ago=4),
        said("n2", "Cold brew was terrible today", "bo", "Bo Berg", hours_ago=3),
        said("n3", "Do you sell gift cards?", "cy", "Cy Young", hours_ago=2),
        said("n4", "Thanks for the quick delivery", "di", "Di Ross", hours_ago=1),
    )
    (forum_post,) = stored(forum, said("f1", "Anyone tried the oat latte?", "ed", "Ed Stone"))
    (elsewhere,) = stored(south_hook, said("s1", "Where is my parcel?", "fi", "Fi Wong"))
    Mention.objects.filter(pk__in=[fan.pk, big.pk, forum_post.pk]).update(sentiment="positive")
    Mention.objects.filter(pk=angry.pk).update(sentiment="negative", priority="high", team=support)
    Mention.objects.filter(pk=done.pk).update(status="dismissed")
    customer = Customer.objects.create(
        client=north, name="Ana Lima", segment="Gold", lifetime_value=Decimal("1250.50")
    )
    Mention.objects.filter(pk=fan.pk).update(customer=customer)
    Author.objects.filter(pk=big.author_id).update(influence=80)
    return SimpleNamespace(
        north=north, south=south, hook=hook, forum=forum, support=support, fan=fan,
        angry=angry, big=big, done=done, forum_post=forum_post, elsewhere=elsewhere,
    )  # fmt: skip


def test_filters_list_exactly_the_matching_mentions(world, client_a):
    signed_in(client_a, "manager")
    w = world
    open_ones = {w.fan.pk, w.angry.pk, w.big.pk, w.forum_post.pk, w.elsewhere.pk}
    cases = [
        ({}, open_ones),  # open by default: the dismissed one is left out
        ({"status": "all"}, open_ones | {w.done.pk}),
        ({"status": "dismissed"}, {w.done.pk}),
        ({"client": w.south.pk}, {w.elsewhere.pk}),
        ({"channel": w.forum.pk}, {w.forum_post.pk}),
        ({"sentiment": "negative"}, {w.angry.pk}),
        ({"team": w.support.pk}, {w.angry.pk}),
        ({"priority": "high"}, {w.angry.pk}),
        ({"customer": "on"}, {w.fan.pk}),
        ({"influencer": "on"}, {w.big.pk}),
        ({"q": "cold brew"}, {w.fan.pk, w.angry.pk}),
        ({"q": "cold brew", "sentiment": "positive", "client": w.north.pk}, {w.fan.pk}),
    ]
    for params, expected in cases:
        page = client_a.get("/inbox/", params)
        assert page.status_code == 200
        assert listed(page) == expected, params


def test_the_intent_filter_lists_complaints_or_questions(world, client_a):
    signed_in(client_a, "responder")
    w = world
    page = client_a.get("/inbox/")
    assert 'name="intent"' in page.content.decode()
    cases = [
        ({"intent": "complaint"}, {w.angry.pk}),
        ({"intent": "question"}, {w.big.pk, w.forum_post.pk, w.elsewhere.pk}),
        ({"intent": "praise", "status": "all"}, {w.fan.pk, w.done.pk}),
        ({"intent": "question", "client": w.north.pk}, {w.big.pk, w.forum_post.pk}),
    ]
    for params, expected in cases:
        page = client_a.get("/inbox/", params)
        assert listed(page) == expected, params
    assert "Complaint" in client_a.get("/inbox/", {"intent": "complaint"}).content.decode()


def test_the_list_is_newest_first_and_counts_each_status(world, client_a):
    signed_in(client_a, "manager")
    html = client_a.get("/inbox/", {"client": world.north.pk}).content.decode()
    order = [int(pk) for pk in re.findall(r'data-mention="(\d+)"', html)]
    assert order == [world.forum_post.pk, world.big.pk, world.angry.pk, world.fan.pk]
    counts = client_a.get("/inbox/counts/", {"client": world.north.pk})
    text = re.sub(r"\s+", " ", counts.content.decode())
    assert 'hx-trigger="every 30s"' in text and f"client={world.north.pk}" in text
    assert 'Open</span> <span class="count-value">4<' in text
    assert 'Dismissed</span> <span class="count-value">1<' in text
    assert 'All</span> <span class="count-value">5<' in text


def test_the_counts_are_one_read_of_the_counters_and_rows_cost_no_extra_queries(
    world, client_a, django_assert_max_num_queries
):
    signed_in(client_a, "manager")
    client_a.get("/inbox/")  # warm the session
    with django_assert_max_num_queries(12) as few:
        client_a.get("/inbox/")
    stored(world.hook, *[said(f"more-{n}", f"Question {n}", f"p{n}", f"P {n}") for n in range(30)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(listed(client_a.get("/inbox/"))) == 35
    # The tabs sum the maintained counters: no query counts the mentions themselves.
    sqls = [q["sql"] for q in few.captured_queries]
    assert not [sql for sql in sqls if "COUNT(" in sql.upper() and '"listening_mention"' in sql]
    assert len([sql for sql in sqls if "listening_mentioncount" in sql]) == 1


def test_the_list_reads_no_logo_nor_channel_secrets_with_its_cards(
    world, client_a, django_assert_max_num_queries
):
    world.north.logo = b"\x89PNG" + b"\0" * 200_000  # a white-label logo, read once per card
    world.north.save()
    signed_in(client_a, "manager")
    client_a.get("/inbox/")  # warm the session
    with django_assert_max_num_queries(12) as page:
        html = client_a.get("/inbox/?status=all").content.decode()
    assert "North hook (Webhook (push))" in html and "Northwind" in html
    (read,) = [q["sql"] for q in page.captured_queries if 'FROM "listening_mention"' in q["sql"]]
    assert '"logo"' not in read and "credentials_encrypted" not in read and '"config"' not in read
    assert '"matched_queries"' not in read and '"tags"' not in read and '"url"' not in read
    assert "IN (SELECT" not in read  # a manager sees every client: no subquery of them to plan
    # Nor does the client filter, listing the clients or checking the one chosen.
    with django_assert_max_num_queries(12) as filtered:
        client_a.get("/inbox/", {"client": world.north.pk})
    assert not [q for q in filtered.captured_queries if '"logo"' in q["sql"]]


def test_cards_show_people_teams_and_badges_from_the_list_read_alone(
    world, client_a, django_assert_max_num_queries
):
    manager = signed_in(client_a, "manager", first_name="Mo", last_name="Diaz")
    Mention.objects.filter(pk=world.fan.pk).update(status="assigned", assigned_to=manager)
    Author.objects.filter(pk=world.fan.author_id).update(is_advocate=True)
    Author.objects.filter(pk=world.forum_post.author_id).update(account_role="competitor")
    client_a.get("/inbox/")  # warm the session
    with django_assert_max_num_queries(12) as page:
        html = client_a.get("/inbox/?status=all").content.decode()
    cards = {m.pk: card(html, m.pk) for m in (world.fan, world.angry, world.big, world.forum_post)}
    assert manager.email in cards[world.fan.pk] and "Advocate" in cards[world.fan.pk]
    assert "Support" in cards[world.angry.pk] and "Influencer" in cards[world.big.pk]
    assert "Competitor" in cards[world.forum_post.pk]
    assert "Northwind · North hook (Webhook (push))" in cards[world.fan.pk].replace("\n", "")
    # One read of the list: no card loads a column the list left in the database.
    reads = [q["sql"] for q in page.captured_queries if "listening_author" in q["sql"]]
    assert len(reads) == 1


def card(html: str, pk: int) -> str:
    start = html.index(f'id="card-{pk}"')
    return html[start : html.index("</li>", start)]


def test_the_channel_filter_names_each_channel_with_its_client_and_keeps_the_choice(
    world, client_a, django_assert_max_num_queries
):
    make_channel(platform="webhook", config={}, client=world.south, name="<b>Loud</b> & co")
    signed_in(client_a, "manager")
    client_a.get("/inbox/")  # warm the session
    with django_assert_max_num_queries(13) as page:  # the filter's channel checked: one more
        html = client_a.get("/inbox/", {"channel": world.forum.pk}).content.decode()
    select = re.search(r'<select name="channel"[^>]*>(.*?)</select>', html, re.S).group(1)
    options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', select)
    assert [(label, bool(chosen)) for _, chosen, label in options] == [
        ("All channels", False), ("Northwind · North forum", True),
        ("Northwind · North hook", False), ("Southway · &lt;b&gt;Loud&lt;/b&gt; &amp; co", False),
        ("Southway · South hook", False),
    ]  # fmt: skip
    assert options[1][0] == str(world.forum.pk)
    # The options are names read as values: no channel's settings or secrets, no client's logo.
    sqls = [q["sql"] for q in page.captured_queries if "LIMIT" not in q["sql"]]
    (read,) = [sql for sql in sqls if 'FROM "rapport_channels_channel"' in sql]
    assert '"logo"' not in read and "credentials_encrypted" not in read and '"config"' not in read


def test_acknowledging_with_a_saved_reply_greets_the_person_and_stops_the_clock(world, client_a):
    SlaPolicy.objects.create(client=world.north, business_hours_only=False)
    Mention.objects.filter(pk=world.fan.pk).update(priority="low")  # due in a day
    user = signed_in(client_a, "responder")
    reply = saved_reply_create(
        title="Thanks", text="Thanks {first_name}, glad you enjoy it!", user=user,
        client=world.north,
    )  # fmt: skip
    page = client_a.get(f"/inbox/{world.fan.pk}/").content.decode()
    assert 'data-text="Thanks {first_name}, glad you enjoy it!"' in page
    assert 'value="reply"' not in page  # a webhook channel takes no replies: not offered

    done = client_a.post(
        f"/inbox/{world.fan.pk}/acknowledge/",
        {"acknowledge-kind": "replied_elsewhere", "acknowledge-saved_reply": reply.pk},
    )

    assert done.status_code == 302 and done.url == f"/inbox/{world.fan.pk}/"
    mention = Mention.objects.get(pk=world.fan.pk)
    assert mention.status == "acknowledged"
    assert mention.acknowledged_at is not None and mention.sla_due_at is not None
    assert mention.time_to_acknowledge_minutes is not None
    ack = Acknowledgement.objects.get(mention=mention)
    assert ack.text == "Thanks Ana, glad you enjoy it!" and ack.user == user and ack.is_personal
    after = client_a.get(done.url).content.decode()
    assert "Thanks Ana, glad you enjoy it!" in after and "Acknowledged 1 mention" in after
    assert "sla-met" in after


def test_a_canned_reply_is_followed_by_the_warning(world, client_a):
    signed_in(client_a, "responder")
    canned = {"acknowledge-kind": "replied_elsewhere", "acknowledge-text": "Thank you!"}
    for mention in (world.fan, world.angry):
        client_a.post(f"/inbox/{mention.pk}/acknowledge/", canned)
    page = client_a.post(f"/inbox/{world.big.pk}/acknowledge/", canned, follow=True)
    assert "A canned reply is not a personal acknowledgement" in page.content.decode()


def test_service_errors_show_next_to_their_field_with_400(world, client_a):
    signed_in(client_a, "responder")
    no_reason = client_a.post(f"/inbox/{world.fan.pk}/dismiss/", {"dismiss-reason": " "})
    assert no_reason.status_code == 400
    html = no_reason.content.decode()
    assert re.search(r'id="id_dismiss-reason_error"[^>]*>Say why this mention needs no ackn', html)
    assert 'aria-describedby="id_dismiss-reason_error"' in html
    reply = client_a.post(
        f"/inbox/{world.fan.pk}/acknowledge/",
        {"acknowledge-kind": "reply", "acknowledge-text": "Hi Ana"},
    )
    assert reply.status_code == 400
    assert re.search(r'id="id_acknowledge-kind_error"[^>]*>[^<]*does not take replies', reply.text)
    assert Mention.objects.get(pk=world.fan.pk).status == "new"


def test_assign_and_escalate_from_the_conversation_are_audited(world, client_a):
    signed_in(client_a, "manager")
    colleague = UserFactory(role="responder", email="sam@alpha.test")
    assert client_a.post(f"/inbox/{world.big.pk}/assign/", {"assign-user": colleague.pk}).url
    client_a.post(
        f"/inbox/{world.big.pk}/escalate/",
        {"escalate-team": world.support.pk, "escalate-note": "Gift card stock?"},
    )
    mention = Mention.objects.get(pk=world.big.pk)
    assert (mention.status, mention.assigned_to, mention.team) == (
        "escalated", colleague, world.support,
    )  # fmt: skip
    html = client_a.get(f"/inbox/{world.big.pk}/").content.decode()
    assert "Assignee: — → sam@alpha.test" in html and "Gift card stock?" in html


def test_bulk_dismiss_of_several_mentions_in_one_post(world, client_a):
    signed_in(client_a, "responder")
    chosen = [world.fan.pk, world.angry.pk, world.big.pk]
    back = f"/inbox/?client={world.north.pk}"
    done = client_a.post(
        "/inbox/bulk/",
        {"ids": chosen, "action": "dismiss", "dismiss-reason": "Bot wave", "next": back},
    )
    assert done.status_code == 302 and done.url == back
    statuses = dict(Mention.objects.filter(client=world.north).values_list("pk", "status"))
    assert {pk for pk, status in statuses.items() if status == "dismissed"} == {
        *chosen, world.done.pk,
    }  # fmt: skip
    assert statuses[world.forum_post.pk] == "new"
    reasons = AuditEntry.objects.filter(action="dismiss", object_id__in=chosen)
    assert [entry.after["reason"] for entry in reasons] == ["Bot wave"] * 3
    assert "Dismissed 3 mentions." in client_a.get(back).content.decode()


def test_bulk_acknowledge_fills_each_name_and_a_bad_bulk_changes_nothing(world, client_a):
    signed_in(client_a, "responder")
    client_a.post("/inbox/bulk/", {
        "ids": [world.fan.pk, world.angry.pk], "action": "acknowledge",
        "acknowledge-kind": "resolved_internally", "acknowledge-text": "Sorted, {first_name}.",
    })  # fmt: skip
    texts = set(Acknowledgement.objects.values_list("text", flat=True))
    assert texts == {"Sorted, Ana.", "Sorted, Bo."}
    nothing = client_a.post("/inbox/bulk/", {"action": "dismiss", "dismiss-reason": "x"})
    assert nothing.status_code == 400 and "Tick the mentions to act on first." in nothing.text
    no_team = client_a.post("/inbox/bulk/", {"ids": [world.big.pk], "action": "escalate"})
    assert no_team.status_code == 400
    assert f'value="{world.big.pk}" id="pick-{world.big.pk}" class="pick" checked' in no_team.text
    assert Mention.objects.get(pk=world.big.pk).status == "new"


def test_the_bulk_bars_forms_are_read_at_the_first_tick_not_with_every_list(
    world, client_a, django_assert_max_num_queries
):
    signed_in(client_a, "manager", first_name="Mo", last_name="Diaz")
    saved_reply_create(title="Thanks", text="Thank you, {first_name}!", user=UserFactory())
    client_a.get("/inbox/")  # warm the session
    with django_assert_max_num_queries(12) as page:
        html = client_a.get("/inbox/").content.decode()
    assert 'data-bulk-bar hx-get="/inbox/bulk/"' in html and 'id="bulk_dismiss-reason"' not in html
    reads = " ".join(q["sql"] for q in page.captured_queries)
    assert "acknowledgements_savedreply" not in reads and "DISTINCT" not in reads
    # What inbox.js draws into the bar: every action's form, for many mentions at once.
    bar = client_a.get("/inbox/bulk/").content.decode()
    for field in ("acknowledge-kind", "acknowledge-text", "assign-user", "assign-team",
                  "dismiss-reason", "escalate-team", "escalate-note"):  # fmt: skip
        assert f'id="bulk_{field}"' in bar
    assert ">Thanks</option>" in bar and "Mo Diaz" in bar and ">Support</option>" in bar
    assert '<option value="reply"' not in bar  # a bulk acknowledgement posts no reply


def test_without_javascript_choose_an_action_keeps_the_ticks_and_shows_the_forms(world, client_a):
    signed_in(client_a, "responder")
    back = f"/inbox/?client={world.north.pk}"
    chose = client_a.post(
        "/inbox/bulk/", {"ids": [world.fan.pk, world.big.pk], "action": "choose", "next": back}
    )
    assert chose.status_code == 200 and 'id="bulk_dismiss-reason"' in chose.text
    assert "Choose an action." not in chose.text and 'hx-get="/inbox/bulk/"' not in chose.text
    for mention in (world.fan, world.big):
        assert f'value="{mention.pk}" id="pick-{mention.pk}" class="pick" checked' in chose.text
    assert f'value="{world.angry.pk}" id="pick-{world.angry.pk}" class="pick">' in chose.text
    assert set(Mention.objects.values_list("status", flat=True)) == {"new", "dismissed"}


def test_a_client_viewer_reads_their_client_only_and_cannot_act(world, client_a):
    viewer = signed_in(client_a, "client_viewer")
    ClientMembershipFactory(user=viewer, client=world.north)
    assert listed(client_a.get("/inbox/")) == {
        world.fan.pk, world.angry.pk, world.big.pk, world.forum_post.pk,
    }  # fmt: skip
    page = client_a.get(f"/inbox/{world.fan.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "You can read this conversation" in html
    assert "/acknowledge/" not in html and 'name="ids"' not in html
    assert 'name="ids"' not in client_a.get("/inbox/").content.decode()
    assert client_a.get("/inbox/bulk/").status_code == 403  # nor the bulk bar's forms
    assert client_a.get(f"/inbox/{world.elsewhere.pk}/").status_code == 404
    dismiss = {"dismiss-reason": "not ours"}
    assert client_a.post(f"/inbox/{world.fan.pk}/dismiss/", dismiss).status_code == 403
    assert client_a.post(f"/inbox/{world.elsewhere.pk}/dismiss/", dismiss).status_code == 404
    assert Mention.objects.get(pk=world.fan.pk).status == "new"


def test_a_client_responder_acts_on_their_client_but_not_another(world, client_a):
    responder = signed_in(client_a, "client_responder")
    ClientMembershipFactory(user=responder, client=world.north, role="responder")
    ok = client_a.post(f"/inbox/{world.fan.pk}/dismiss/", {"dismiss-reason": "Duplicate"})
    assert ok.status_code == 302
    mixed = client_a.post("/inbox/bulk/", {
        "ids": [world.angry.pk, world.elsewhere.pk], "action": "dismiss",
        "dismiss-reason": "Spam",
    })  # fmt: skip
    assert mixed.status_code == 400 and "nothing was changed" in mixed.text
    assert Mention.objects.get(pk=world.angry.pk).status == "new"


def test_a_team_member_sees_and_acts_on_routed_mentions_only(world, client_a):
    member = signed_in(client_a, "team_member")
    world.support.members.add(member)
    assert listed(client_a.get("/inbox/")) == {world.angry.pk}
    assert client_a.get(f"/inbox/{world.fan.pk}/").status_code == 404
    assert client_a.get(f"/inbox/{world.angry.pk}/").status_code == 200
    done = client_a.post(
        f"/inbox/{world.angry.pk}/acknowledge/",
        {"acknowledge-kind": "resolved_internally", "acknowledge-text": "Fixed the grinder"},
    )
    assert done.status_code == 302
    assert Mention.objects.get(pk=world.angry.pk).status == "acknowledged"
    assert (
        client_a.post(f"/inbox/{world.fan.pk}/dismiss/", {"dismiss-reason": "x"}).status_code == 404
    )


def test_posts_without_the_csrf_token_are_refused(world, agency_a):
    browser = Client(enforce_csrf_checks=True, HTTP_HOST=agency_host(agency_a.slug))
    browser.force_login(UserFactory(role="responder"))
    form = {"dismiss-reason": "Spam"}
    assert browser.post(f"/inbox/{world.fan.pk}/dismiss/", form).status_code == 403
    assert Mention.objects.get(pk=world.fan.pk).status == "new"
    page = browser.get(f"/inbox/{world.fan.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    done = browser.post(f"/inbox/{world.fan.pk}/dismiss/", {**form, "csrfmiddlewaretoken": token})
    assert done.status_code == 302
    assert Mention.objects.get(pk=world.fan.pk).status == "dismissed"


def test_hostile_text_and_names_are_shown_escaped(in_agency_a, client_a):
    channel = make_channel(platform="webhook", config={})
    (mention,) = stored(
        channel,
        said("x1", "<script>alert('text')</script>", "mallory", '<img src=x onerror="alert(1)">'),
    )
    signed_in(client_a, "owner")
    for url in ("/inbox/", f"/inbox/{mention.pk}/"):
        html = client_a.get(url).content.decode()
        assert "<script>alert(" not in html and "<img src=x" not in html
        # escaped, whichever entity each template engine writes for quotes
        shown = re.sub(r"&#x27;|&#39;", "'", re.sub(r"&quot;|&#34;", '"', html))
        assert "&lt;script&gt;alert('text')&lt;/script&gt;" in shown
        assert '&lt;img src=x onerror="alert(1)"&gt;' in shown


def test_an_empty_inbox_says_what_to_do_next(in_agency_a, client_a):
    signed_in(client_a, "owner")
    page = client_a.get("/inbox/")
    html = page.content.decode()
    assert page.status_code == 200 and listed(page) == set()
    assert "Nobody is waiting" in html and 'href="/channels/"' in html
    filtered = client_a.get("/inbox/", {"q": "nothing like this"}).content.decode()
    assert "No mentions match these filters" in filtered and "Clear filters" in filtered


def test_the_conversation_shows_thread_history_customer_and_sla(world, client_a):
    signed_in(client_a, "responder")
    root, answer, _follow_up, _other_post = stored(
        world.hook,
        said("t1", "Is the shop open on Sunday?", "gus", "Gus Hale", hours_ago=9),
        said("t2", "Yes, from ten", "hal", "Hal Ames", parent="t1", hours_ago=8),
        said("t3", "Great, see you there", "gus", "Gus Hale", parent="t2", hours_ago=7),
        said("t4", "Unrelated: loved the playlist", "ivy", "Ivy Moss", hours_ago=6),
    )
    stored(world.forum, said("g1", "Sunday was lovely", "gus", "Gus Hale"))
    client_a.get("/inbox/")  # warm the session
    with CaptureQueriesContext(connection) as page:
        html = client_a.get(f"/inbox/{answer.pk}/").content.decode()
    thread = html[html.index('id="thread-heading"') : html.index('id="acks-heading"')]
    assert all(t in thread for t in ("open on Sunday", "from ten", "see you there"))
    assert all(f"@{handle}" in thread for handle in ("gus", "hal"))
    assert "loved the playlist" not in thread
    # The thread and the history read what they show; nothing reads a secret or a logo.
    reads = [q["sql"] for q in page.captured_queries]
    assert not [sql for sql in reads if "credentials_encrypted" in sql or '"logo"' in sql]
    assert len([sql for sql in reads if 'FROM "listening_author"' in sql]) == 0
    history = client_a.get(f"/inbox/{root.pk}/").content.decode()
    side = history[history.index('id="history-heading"') :]
    assert "Sunday was lovely" in side and "see you there" in side
    assert "North forum" in side and "New" in side  # where and in which state
    assert "Is the shop open" not in side  # the mention itself is not its own history
    with CaptureQueriesContext(connection) as alone:
        fan = client_a.get(f"/inbox/{world.fan.pk}/").content.decode()
    assert "Ana Lima" in fan and "Gold" in fan and "1250.50" in fan  # the customer record
    assert "Not part of a thread" in fan
    rows = [q for q in alone.captured_queries if '"listening_mention"."text"' in q["sql"]]
    assert len(rows) == 2  # the mention and the person's history: a lone post has no thread
    assert "No SLA target for this client yet" in fan


def test_a_failed_reply_shows_its_error_and_can_be_retried(world, client_a):
    user = signed_in(client_a, "responder")
    ack = Acknowledgement.objects.create(
        mention=world.fan, client_id=world.north.pk, user=user, kind="reply", text="Hi Ana",
        delivery_status="failed", delivery_error="HTTP 502 from the platform", attempts=3,
    )  # fmt: skip
    html = client_a.get(f"/inbox/{world.fan.pk}/").content.decode()
    assert "HTTP 502 from the platform" in html and ">Retry</button>" in html
    done = client_a.post(f"/inbox/{world.fan.pk}/retry/", {"acknowledgement": ack.pk})
    assert done.status_code == 302
    ack.refresh_from_db()
    assert ack.delivery_status == "pending"
    again = client_a.post(f"/inbox/{world.fan.pk}/retry/", {"acknowledgement": ack.pk})
    assert again.status_code == 400 and "Only a failed reply can be retried." in again.text


def test_the_teams_and_the_chosen_client_and_team_are_read_once_a_page(
    world, client_a, django_assert_max_num_queries
):
    signed_in(client_a, "manager")
    client_a.get("/inbox/")  # warm the session
    chosen = {"client": world.north.pk, "team": world.support.pk, "status": "all"}
    with django_assert_max_num_queries(12) as page:
        response = client_a.get("/inbox/", chosen)
    assert listed(response) == {world.angry.pk}  # Northwind's, routed to Support
    html = response.content.decode()
    assert re.search(rf'<option value="{world.north.pk}" selected>Northwind</option>', html)
    assert re.search(rf'<option value="{world.support.pk}" selected>Support</option>', html)
    # The chosen client and team are checked against the lists the filter offers: one read each.
    reads = [q["sql"].split(" WHERE ")[0] for q in page.captured_queries]
    assert len([sql for sql in reads if 'FROM "accounts_team"' in sql]) == 1
    assert len([sql for sql in reads if 'FROM "clients_client"' in sql]) == 1
    # The bulk bar's assign and escalate forms offer the teams of one read.
    with django_assert_max_num_queries(8) as bar:
        html = client_a.get("/inbox/bulk/").content.decode()
    for select in ("bulk_assign-team", "bulk_escalate-team"):
        assert "Support" in re.search(rf'id="{select}".*?</select>', html, re.S).group(0)
    reads = [q["sql"].split(" WHERE ")[0] for q in bar.captured_queries]
    assert len([sql for sql in reads if 'FROM "accounts_team"' in sql]) == 1


@pytest.mark.parametrize("value", ["999999", "abc", "1.5", "\x00"])
def test_a_client_or_team_not_offered_is_dropped_and_the_list_still_shows(world, client_a, value):
    signed_in(client_a, "manager")
    for name in ("client", "team"):
        response = client_a.get("/inbox/", {name: value, "status": "all"})
        assert response.status_code == 200
        assert listed(response) == set(Mention.objects.values_list("pk", flat=True))

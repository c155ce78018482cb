"""Listening queries: validation, re-matching past mentions, and the query pages' permissions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from psycopg import sql

from apps.clients.models import Client
from apps.listening import services
from apps.listening.models import Author, ListeningQuery, Mention, QueryRematch
from apps.listening.services import (
    query_create,
    query_delete,
    query_rematch_queue,
    query_rematch_run,
    query_update,
)
from tests import support
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OTHER_QUERY_ID = 987_654  # another query's id already on some mentions: never disturbed


def make_mentions(channel, *rows: tuple[str, str, str, str]) -> dict[str, Mention]:
    """Mentions keyed by name, from ``(name, text, platform, language)`` rows (oldest first)."""
    made = {}
    for offset, (name, text, platform, language) in enumerate(rows):
        author, _ = Author.objects.get_or_create(platform=platform, handle=f"{name}_author")
        made[name] = Mention.objects.create(
            client=channel.client, channel=channel, platform=platform, external_id=name,
            author=author, text=text, language=language, posted_at=T0 + timedelta(minutes=offset),
            fetched_at=T0 + timedelta(hours=1), matched_queries=[OTHER_QUERY_ID],
        )  # fmt: skip
    return made


# A mixed set: platforms, languages (incl. a regional variant and none), case and punctuation.
MIXED = (
    ("oat", "Loving the new OAT latte!", "mastodon", "en"),
    ("art", "Latte art by @northwind today #coffee", "bluesky", "en"),
    ("french", "Ce latte est trop sucré", "mastodon", "fr"),
    ("decaf", "decaf latte, meh", "reddit", "en-GB"),
    ("iced", "Iced latte season is back", "reddit", "en-GB"),
    ("tea", "A pot of tea, please", "mastodon", "en"),
    ("video", "LATTE!!! unboxing", "youtube", ""),
)
LATTE = "latte -decaf (platform:mastodon OR lang:en)"
LATTE_MATCHES = {"oat", "art", "french", "iced"}


def filed_under(query: ListeningQuery) -> set[str]:
    return set(
        Mention.objects.filter(matched_queries__contains=[query.pk]).values_list(
            "external_id", flat=True
        )
    )


def row_versions(client: Client) -> dict[str, str]:
    """Each mention's physical row version: any UPDATE of a row gives it a new ``ctid``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_id, ctid::text FROM listening_mention WHERE client_id = %s",
            [client.pk],
        )
        return dict(cursor.fetchall())


def created_and_matched(client: Client, expression: str, **options) -> ListeningQuery:
    query = query_create(client=client, name=f"Query {uuid.uuid4().hex[:6]}", expression=expression)
    query_rematch_run(rematch_id=query.rematches.get().pk, **options)
    return query


def latest_run(query: ListeningQuery, **options) -> QueryRematch:
    return query_rematch_run(rematch_id=query.rematches.order_by("-pk").first().pk, **options)


@pytest.fixture
def channel(in_agency_a):
    return make_channel(platform="webhook", config={}, client=ClientFactory(name="Northwind"))


@pytest.fixture
def mentions(channel):
    return make_mentions(channel, *MIXED)


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("coffee AND (tea", "Unclosed '(' at position 11"),
        ("coffee AND", "Expected a term after AND at position 7"),
        ("platform:myspace coffee", "Unknown platform 'myspace' at position 9"),
        ("", "Empty query at position 0"),
    ],
)
def test_create_rejects_bad_syntax_naming_the_position_and_stores_nothing(
    channel, expression, message
):
    with pytest.raises(ValidationError) as raised:
        query_create(client=channel.client, name="Lattes", expression=expression)
    assert raised.value.message_dict["expression"][0].startswith(message)
    assert not ListeningQuery.objects.exists() and not QueryRematch.objects.exists()


def test_create_stores_the_expression_exactly_as_typed(channel):
    typed = "  Latte   -DECAF  "
    assert query_create(client=channel.client, name="Lattes", expression=typed).expression == typed


def test_query_names_are_unique_per_client(channel):
    query_create(client=channel.client, name="Lattes", expression="latte")
    with pytest.raises(ValidationError) as raised:
        query_create(client=channel.client, name="Lattes", expression="coffee")
    assert "name" in raised.value.message_dict


def test_update_with_bad_syntax_keeps_the_old_expression_and_queues_nothing(channel):
    query = query_create(client=channel.client, name="Lattes", expression="latte")
    with pytest.raises(ValidationError) as raised:
        query_update(query=query, expression="latte OR")
    assert raised.value.message_dict == {"expression": ["Expected a term after OR at position 6"]}
    query.refresh_from_db()
    assert query.expression == "latte" and query.rematches.count() == 1


# --- queueing re-matches -----------------------------------------------------------------------


def test_create_queues_a_rematch_that_is_sent_only_on_commit(
    channel, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "apps.listening.tasks.rematch_query.apply_async", lambda args, **options: sent.append(args)
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        query = query_create(client=channel.client, name="Lattes", expression="latte")
        assert sent == []  # nothing reaches the broker before the query is committed
    rematch = query.rematches.get()
    assert rematch.status == QueryRematch.Status.QUEUED
    assert len(callbacks) == 1 and sent == [[rematch.pk]]


def test_a_query_too_long_or_with_too_many_terms_is_refused_with_its_position(channel):
    from apps.listening.query_language import MAX_EXPRESSION_LENGTH, MAX_TERMS

    huge = " OR ".join(f"word{n}" for n in range(200_000))[: 1024 * 1024]  # 1 MB
    with pytest.raises(ValidationError) as refused:
        query_create(client=channel.client, name="Huge", expression=huge)
    assert refused.value.message_dict["expression"] == [
        f"Query too long (1,048,576 characters; at most {MAX_EXPRESSION_LENGTH:,}) at position "
        f"{MAX_EXPRESSION_LENGTH}"
    ]
    many = " OR ".join(f"w{n}" for n in range(MAX_TERMS + 1))
    with pytest.raises(ValidationError) as refused:
        query_create(client=channel.client, name="Many", expression=many)
    (message,) = refused.value.message_dict["expression"]
    position = many.index("w100")
    assert message == f"Too many terms (101; at most 100 in one query) at position {position}"
    query_create(client=channel.client, name="Enough", expression=many.rsplit(" OR ", 1)[0])
    assert not ListeningQuery.objects.filter(name__in=["Huge", "Many"]).exists()


def test_a_clients_active_queries_check_at_most_500_terms_on_each_mention(channel):
    hundred = " OR ".join(f"w{n}" for n in range(100))
    queries = [
        query_create(client=channel.client, name=f"Q{n}", expression=hundred) for n in range(5)
    ]
    with pytest.raises(ValidationError) as refused:
        query_create(client=channel.client, name="One more", expression="latte")
    assert "would check 501 terms on every mention; at most 500" in str(refused.value)
    query_update(query=queries[0], is_active=False)  # pausing one makes room
    query_create(client=channel.client, name="One more", expression="latte")
    with pytest.raises(ValidationError):
        query_update(query=queries[0], is_active=True)  # and the room is taken


def test_the_api_and_the_form_refuse_a_huge_query_with_a_field_error(channel, client_a):
    from apps.accounts.models import User
    from tests.api.conftest import api_client

    huge = "latte OR " * 300 + "tea"
    owner = User.objects.get(email="owner@alpha.test")
    response = api_client(connection.tenant, owner).post(
        "/api/v1/queries/", {"client": channel.client_id, "name": "Huge", "expression": huge},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "Query too long (2,703 characters; at most 2,000)" in response.json()["expression"][0]
    client, _ = signed_in(client_a, role="owner")
    page = client.post(
        "/listening/queries/new/", {"client": channel.client_id, "name": "Huge", "expression": huge}
    )
    assert page.status_code == 400  # the form again, the error next to the field
    assert "Query too long (2,703 characters; at most 2,000)" in page.content.decode()
    assert not ListeningQuery.objects.exists()


def test_a_rematch_whose_worker_died_is_queued_again_and_then_runs(mentions):
    from django.utils import timezone

    from apps.core.outbox import outbox_pending

    query = query_create(client=mentions["oat"].client, name="Lattes", expression=LATTE)
    dead = query.rematches.get()
    alive = QueryRematch.objects.create(query=query)
    now = timezone.now()
    QueryRematch.objects.filter(pk=dead.pk).update(
        status="running", heartbeat_at=now - timedelta(minutes=5), processed=3
    )
    QueryRematch.objects.filter(pk=alive.pk).update(status="running", heartbeat_at=now)
    recovered = services.rematches_recover_dead(stale_after=timedelta(minutes=1))
    assert [rematch.pk for rematch in recovered] == [dead.pk]  # the live one is left alone
    dead.refresh_from_db()
    assert dead.status == "queued"
    assert [m.args for m in outbox_pending(schema_name="alpha")][-1] == [dead.pk]
    QueryRematch.objects.filter(pk=alive.pk).delete()  # so the dead one is the newest again
    finished = query_rematch_run(rematch_id=dead.pk)  # the task the outbox sends
    assert (finished.status, finished.processed, finished.matched) == ("done", 7, 4)
    assert query_rematch_run(rematch_id=dead.pk).status == "done"  # a late duplicate: no-op


@pytest.mark.parametrize(
    ("change", "queues"),
    [
        ({"expression": "latte OR flat white"}, True),
        ({"is_active": False}, True),
        ({"name": "Coffee drinks"}, False),
        ({"is_competitor": True}, False),
        ({"expression": "latte"}, False),  # unchanged
    ],
)
def test_update_queues_a_rematch_when_what_it_matches_changes(
    channel, django_capture_on_commit_callbacks, monkeypatch, change, queues
):
    monkeypatch.setattr("apps.listening.tasks.rematch_query.apply_async", lambda *a, **k: None)
    query = query_create(client=channel.client, name="Lattes", expression="latte")
    with django_capture_on_commit_callbacks() as callbacks:
        query_update(query=query, **change)
    assert (query.rematches.count(), len(callbacks)) == ((2, 1) if queues else (1, 0))
    query.refresh_from_db()
    assert all(getattr(query, field) == value for field, value in change.items())


# --- re-matching -------------------------------------------------------------------------------


def test_rematch_files_exactly_the_matching_mentions_respecting_platform_and_language(mentions):
    query = created_and_matched(mentions["oat"].client, LATTE)
    rematch = query.rematches.get()
    assert filed_under(query) == LATTE_MATCHES
    assert (rematch.status, rematch.total, rematch.processed, rematch.matched) == ("done", 7, 7, 4)
    assert rematch.started_at <= rematch.finished_at
    # Ids of other queries stay where they were; the query's own id appears once, at the end.
    assert Mention.objects.get(external_id="oat").matched_queries == [OTHER_QUERY_ID, query.pk]
    assert Mention.objects.get(external_id="tea").matched_queries == [OTHER_QUERY_ID]


def test_rematch_leaves_other_clients_mentions_alone(mentions):
    other = make_channel(platform="webhook", config={}, client=ClientFactory(name="Rival"))
    make_mentions(other, ("rival", "Their latte is better", "mastodon", "en"))
    query = created_and_matched(mentions["oat"].client, "latte")
    assert "rival" not in filed_under(query)
    assert query.rematches.get().total == len(MIXED)


def test_rematch_of_an_edited_expression_adds_and_removes(mentions):
    query = created_and_matched(mentions["oat"].client, LATTE)
    query_update(query=query, expression="tea OR #coffee")
    rematch = latest_run(query)
    assert filed_under(query) == {"tea", "art"}
    assert rematch.matched == 2
    assert Mention.objects.get(external_id="oat").matched_queries == [OTHER_QUERY_ID]


def test_rematch_updates_only_the_rows_whose_answer_changed(mentions):
    client = mentions["oat"].client
    query = created_and_matched(client, LATTE)
    before = row_versions(client)
    query_update(query=query, expression="latte -decaf platform:mastodon")  # drops art and iced
    latest_run(query, batch_size=3)
    after = row_versions(client)
    assert {name for name in before if before[name] != after[name]} == {"art", "iced"}

    query_update(query=query, expression="latte -decaf platform:mastodon -sugar")  # same answers
    latest_run(query)
    assert row_versions(client) == after


def test_rematch_queries_per_batch_do_not_grow_with_the_mentions_in_it(channel):
    def queries_for(count: int) -> int:
        client = ClientFactory()
        make_mentions(
            make_channel(platform="webhook", config={}, client=client),
            *[(f"{client.slug}-{n}", f"latte number {n}", "mastodon", "en") for n in range(count)],
        )
        query = query_create(client=client, name="Lattes", expression="latte")
        with CaptureQueriesContext(connection) as captured:
            query_rematch_run(rematch_id=query.rematches.get().pk, batch_size=100)
        assert filed_under(query) == {f"{client.slug}-{n}" for n in range(count)}
        return len(captured)

    assert queries_for(3) == queries_for(60)


def test_deactivating_a_query_takes_it_off_every_mention(mentions):
    query = created_and_matched(mentions["oat"].client, LATTE)
    query_update(query=query, is_active=False)
    rematch = latest_run(query)
    assert filed_under(query) == set()
    assert (rematch.status, rematch.processed, rematch.matched) == ("done", 7, 0)
    assert Mention.objects.get(external_id="oat").matched_queries == [OTHER_QUERY_ID]

    query_update(query=query, is_active=True)
    latest_run(query)
    assert filed_under(query) == LATTE_MATCHES


def test_deleting_a_query_takes_its_id_off_every_mention_in_one_statement(mentions):
    query = created_and_matched(mentions["oat"].client, LATTE)
    query_id = query.pk
    with CaptureQueriesContext(connection) as captured:
        query_delete(query=query)
    statements = [q["sql"] for q in captured if not q["sql"].startswith("SET search_path")]
    assert sum(s.startswith('UPDATE "listening_mention"') for s in statements) == 1
    # savepoint, lock, the UPDATE, the cascade (re-matches, routing rules on it), release
    assert len(statements) <= 8
    assert not Mention.objects.filter(matched_queries__contains=[query_id]).exists()
    assert Mention.objects.filter(matched_queries=[OTHER_QUERY_ID]).count() == len(MIXED)


def test_an_older_rematch_stops_when_a_newer_one_is_queued(mentions):
    query = query_create(client=mentions["oat"].client, name="Lattes", expression=LATTE)
    older = query.rematches.get()
    query_update(query=query, expression="tea")
    older = query_rematch_run(rematch_id=older.pk)
    assert (older.status, older.processed) == ("done", 0)
    assert filed_under(query) == set()
    newer = latest_run(query)
    assert (newer.status, newer.processed, newer.matched) == ("done", 7, 1)
    assert filed_under(query) == {"tea"}


def test_a_rematch_overtaken_mid_way_stops_after_the_batch_in_flight(mentions, monkeypatch):
    query = query_create(client=mentions["oat"].client, name="Lattes", expression=LATTE)
    older = query.rematches.get()
    tokenize = services.tokenize_text

    def edit_during_first_batch(text):
        if not query.rematches.exclude(pk=older.pk).exists():
            query_update(query=query, expression="tea")
        return tokenize(text)

    monkeypatch.setattr(services, "tokenize_text", edit_during_first_batch)
    older = query_rematch_run(rematch_id=older.pk, batch_size=3)
    assert (older.status, older.processed, older.total) == ("done", 3, 7)
    assert filed_under(query) == {"oat", "art", "french"}  # the first batch only


def test_rematch_of_an_unparseable_stored_expression_fails_with_the_error(mentions):
    query = query_create(client=mentions["oat"].client, name="Lattes", expression="latte")
    ListeningQuery.objects.filter(pk=query.pk).update(expression="latte AND")  # bypassing checks
    rematch = latest_run(query)
    assert rematch.status == "failed" and "at position 6" in rematch.error
    assert QueryRematch.objects.get(pk=rematch.pk).status == "failed"
    assert filed_under(query) == set()


def test_rematch_of_a_deleted_query_is_a_no_op(mentions):
    query = query_create(client=mentions["oat"].client, name="Lattes", expression="latte")
    rematch = query_rematch_queue(query=query)
    query_delete(query=query)
    assert query_rematch_run(rematch_id=rematch.pk) is None


# --- progress is committed batch by batch (no wrapping test transaction) -----------------------


@pytest.fixture
def committed_mentions(agency_a, django_db_blocker):
    """Five mentions committed in agency A, so another connection can watch the re-match."""
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        client = Client.objects.create(name="Progress", slug=f"progress-{uuid.uuid4().hex[:6]}")
        channel = make_channel(platform="webhook", config={}, client=client)
        made = make_mentions(
            channel, *[(f"{client.slug}-{n}", f"latte {n}", "mastodon", "en") for n in range(5)]
        )
    yield client
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        client.delete()
        Author.objects.filter(pk__in=[mention.author_id for mention in made.values()]).delete()


def test_progress_is_committed_after_every_batch(
    committed_mentions, agency_a, django_db_blocker, monkeypatch
):
    tokenize = services.tokenize_text
    seen: list[tuple[str, int, int]] = []
    with psycopg.connect(support.test_database_url(), autocommit=True) as observer:
        select = sql.SQL(
            "SELECT status, processed, total FROM {}.listening_queryrematch WHERE id = %s"
        )
        table = select.format(sql.Identifier(agency_a.schema_name))

        def observed(text):
            seen.append(observer.execute(table, [rematch.pk]).fetchone())
            return tokenize(text)

        monkeypatch.setattr(services, "tokenize_text", observed)
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            query = ListeningQuery.objects.create(
                client=committed_mentions, name="Lattes", expression="latte"
            )
            rematch = QueryRematch.objects.create(query=query)
            finished = query_rematch_run(rematch_id=rematch.pk, batch_size=2)
        final = observer.execute(table, [rematch.pk]).fetchone()
    # Another connection sees the run start, then each batch's progress as soon as it is done.
    assert seen == [("running", 0, 5)] * 2 + [("running", 2, 5)] * 2 + [("running", 4, 5)]
    assert final == ("done", 5, 5) and finished.matched == 5


# --- pages -------------------------------------------------------------------------------------


def signed_in(client, role: str = "manager", **extra):
    user = UserFactory(role=role, **extra)
    client.force_login(user)
    return client, user


def test_live_check_reports_the_error_position_or_the_normalised_reading(channel, client_a):
    client, _ = signed_in(client_a)
    bad = client.get("/listening/queries/check/", {"expression": "latte AND (oat"}).json()
    assert bad == {
        "ok": False,
        "error": "Unclosed '(' at position 10",
        "position": 10,
        "normalised": "",
    }
    good = client.post("/listening/queries/check/", {"expression": "Latte -decaf OR tea"}).json()
    assert good == {
        "ok": True,
        "error": "",
        "position": None,
        "normalised": "(latte AND NOT decaf) OR tea",
    }


def test_create_form_with_bad_syntax_shows_the_error_at_its_position_and_stores_nothing(
    channel, client_a
):
    client, _ = signed_in(client_a, role="responder")
    response = client.post(
        "/listening/queries/new/",
        {"client": channel.client.pk, "name": "Lattes", "expression": "latte OR (oat"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Unclosed &#x27;(&#x27; at position 9" in body
    assert "latte OR (oat\n         ^</pre>" in body  # the caret under the offending '('
    assert not ListeningQuery.objects.exists()


def test_creating_a_query_shows_its_progress_count_and_newest_matches(
    mentions, client_a, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("apps.listening.tasks.rematch_query.apply_async", lambda *a, **k: None)
    client, _ = signed_in(client_a, role="owner")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/listening/queries/new/",
            {"client": mentions["oat"].client.pk, "name": "Lattes", "expression": LATTE},
        )
    query = ListeningQuery.objects.get(name="Lattes")
    assert response.status_code == 302 and response["Location"] == f"/listening/queries/{query.pk}/"
    rematch = query.rematches.get()
    page = client.get(response["Location"]).content.decode()
    assert f'data-status-url="/listening/rematches/{rematch.pk}/"' in page
    assert 'data-finished="0"' in page

    query_rematch_run(rematch_id=rematch.pk)  # what the worker does
    progress = client.get(f"/listening/rematches/{rematch.pk}/").json()
    assert progress | {"id": 0, "query": 0} == {
        "id": 0, "query": 0, "status": "done", "total": 7, "processed": 7, "matched": 4,
        "percent": 100, "error": "", "finished": True,
    }  # fmt: skip
    page = client.get(response["Location"]).content.decode()
    assert '<span id="match-count">4</span> matching mentions' in page
    # Newest first, with the author's handle.
    newest = [mentions[name] for name in ("iced", "french", "art", "oat")]
    positions = [page.index(mention.text) for mention in newest]
    assert positions == sorted(positions) and "iced_author" in page
    assert mentions["tea"].text not in page


def test_editing_a_query_re_matches_and_shows_the_new_count(mentions, client_a, monkeypatch):
    monkeypatch.setattr("apps.listening.tasks.rematch_query.apply_async", lambda *a, **k: None)
    query = created_and_matched(mentions["oat"].client, LATTE)
    client, _ = signed_in(client_a, role="responder")
    response = client.post(
        f"/listening/queries/{query.pk}/edit/",
        {"name": query.name, "expression": "tea", "is_active": "on"},
    )
    assert response.status_code == 302
    latest_run(query)
    page = client.get(f"/listening/queries/{query.pk}/").content.decode()
    assert '<span id="match-count">1</span> matching mention' in page


def test_client_viewer_cannot_create_or_edit_nor_see_other_clients_queries(mentions, client_a):
    client, viewer = signed_in(client_a, role="client_viewer")
    theirs = query_create(client=mentions["oat"].client, name="Lattes", expression="latte")
    ClientMembershipFactory(user=viewer, client=theirs.client)
    others = query_create(client=ClientFactory(), name="Rivals", expression="rival")

    assert client.get("/listening/queries/new/").status_code == 404
    response = client.post(
        "/listening/queries/new/",
        {"client": theirs.client.pk, "name": "Sneaky", "expression": "latte"},
    )
    assert response.status_code == 404 and not ListeningQuery.objects.filter(name="Sneaky")
    assert client.get(f"/listening/queries/{theirs.pk}/").status_code == 200
    assert client.get(f"/listening/queries/{theirs.pk}/edit/").status_code == 404
    assert client.get(f"/listening/queries/{others.pk}/").status_code == 404
    assert client.get(f"/listening/rematches/{others.rematches.get().pk}/").status_code == 404
    listing = client.get("/listening/queries/").content.decode()
    assert "Lattes" in listing and "Rivals" not in listing


def test_create_form_lists_the_agencys_clients_and_rejects_unknown_ones(channel, client_a):
    hidden = ClientFactory(name="Hidden Brand")
    client, _ = signed_in(client_a, role="responder")
    form = client.get("/listening/queries/new/").content.decode()
    assert channel.client.name in form and hidden.name in form  # staff see every client
    response = client.post(
        "/listening/queries/new/", {"client": 10**9, "name": "Lattes", "expression": "latte"}
    )
    assert response.status_code == 400 and not ListeningQuery.objects.exists()


def test_query_of_agency_a_is_404_at_agency_b(channel, client_b):
    query = query_create(client=channel.client, name="Lattes", expression="latte")
    rematch = query.rematches.get()
    client_b.post("/accounts/login/", {"username": "owner@beta.test", "password": PASSWORD})
    assert client_b.get(f"/listening/queries/{query.pk}/").status_code == 404
    assert client_b.get(f"/listening/queries/{query.pk}/edit/").status_code == 404
    assert client_b.get(f"/listening/rematches/{rematch.pk}/").status_code == 404


def test_query_pages_require_sign_in(channel, client_a):
    query = query_create(client=channel.client, name="Lattes", expression="latte")
    for path in (f"/listening/queries/{query.pk}/", "/listening/queries/check/?expression=x"):
        response = client_a.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

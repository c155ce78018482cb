"""Every mention list the inbox and the API can produce reads a page through an index: with
realistic statistics (tens of thousands of rows, ``ANALYZE``d), the plan of each list query —
first page and the next, by cursor — has no sequential scan of mentions or acknowledgements and
no sort of more than a page of rows (a search may sort the candidates it ranks, no more)."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import User
from apps.acknowledgements.selectors import _FUNNEL
from apps.clients.models import ClientMembership, Customer
from apps.listening.models import Author, Mention
from apps.listening.selectors import MENTION_ORDERINGS, SEARCH_CANDIDATES
from tests.accounts.factories import TeamFactory, UserFactory
from tests.api.conftest import api_client
from tests.channels.factories import make_channel
from tests.clients.factories import ClientFactory
from tests.conftest import host_client

MENTIONS = 40_000
ACKNOWLEDGEMENTS = 15_000
PAGE = 50
TABLES = {Mention._meta.db_table, "acknowledgements_acknowledgement"}

_MENTIONS_SQL = f"""
    WITH rows AS (
        SELECT g, now() - g * interval '3 minutes' AS posted,
               CASE WHEN g %% 50 = 0 THEN 'dismissed' WHEN g %% 50 = 1 THEN 'escalated'
                    WHEN g %% 50 IN (2, 3) THEN 'assigned'
                    WHEN g %% 10 = 4 OR g < 1500 THEN 'new' ELSE 'acknowledged' END AS status
        FROM generate_series(1, %(count)s) g
    )
    INSERT INTO {Mention._meta.db_table} (
        client_id, channel_id, platform, external_id, url, author_id, text, language, kind,
        parent_external_id, engagement, posted_at, fetched_at, sentiment, sentiment_score,
        intent, matched_queries, needs_acknowledgement, is_duplicate, is_spam, status, priority,
        tags, assigned_to_id, team_id, customer_id, sla_due_at, priority_key, acknowledged_at)
    SELECT
        (%(clients)s::bigint[])[1 + g %% 2], (%(channels)s::bigint[])[1 + g %% 2], 'webhook',
        'plan-' || g, '', (%(authors)s::bigint[])[1 + g %% %(people)s],
        (ARRAY['The latte was lovely', 'My order arrived broken, awful',
               'Do you ship to Ireland?', 'Cold brew again today, lovely'])[1 + g %% 4],
        'en', 'post', '', 0, posted, posted,
        (ARRAY['positive', 'negative', 'neutral'])[1 + g %% 3], 0,
        (ARRAY['complaint', 'question', 'praise', 'other'])[1 + g %% 4],
        '{{}}', g %% 10 <> 9, false, false, status,
        (ARRAY['low', 'normal', 'normal', 'high', 'urgent'])[1 + g %% 5], '{{}}',
        CASE WHEN status = 'assigned' THEN %(assignee)s END,
        CASE WHEN status = 'escalated' OR g %% 7 = 0 THEN %(team)s END,
        CASE WHEN g %% 20 = 5 THEN %(customer)s::bigint END,
        CASE WHEN g %% 20 <> 0 THEN posted + interval '1 hour' END,
        CASE WHEN g %% 30 <> 0 THEN (g %% 97) - g / 60.0 END,
        CASE WHEN status = 'acknowledged' THEN posted + interval '20 minutes' END
    FROM rows
"""  # noqa: S608 - names from model metadata

_ACKNOWLEDGEMENTS_SQL = f"""
    INSERT INTO acknowledgements_acknowledgement (
        kind, text, created_at, external_id, external_url, delivery_status, delivery_error,
        attempts, is_personal, mention_id, user_id, wording_key, client_id)
    SELECT 'reply', 'Thank you', m.acknowledged_at, '', '', 'delivered', '', 0, true, m.id,
           CASE WHEN m.id %% 3 = 0 THEN %(user)s END, '', m.client_id
    FROM {Mention._meta.db_table} m
    WHERE m.acknowledged_at IS NOT NULL
    ORDER BY m.id LIMIT %(count)s
"""  # noqa: S608 - names from model metadata


@pytest.fixture
def many(in_agency_a):
    """Two clients' 40,000 mentions and 15,000 acknowledgements, inserted in SQL and analysed."""
    north, south = ClientFactory(name="Northwind"), ClientFactory(name="Southway")
    north_channel = make_channel(platform="webhook", config={}, client=north, name="N")
    south_channel = make_channel(platform="webhook", config={}, client=south, name="S")
    team = TeamFactory(name="Support")
    owner = User.objects.get(email="owner@alpha.test")
    member = UserFactory(role=User.Role.TEAM_MEMBER)
    member.teams.add(team)
    client_user = UserFactory(role=User.Role.CLIENT_RESPONDER)
    ClientMembership.objects.create(
        user=client_user, client=north, role=ClientMembership.Role.RESPONDER
    )
    authors = Author.objects.bulk_create(
        Author(platform="webhook", handle=f"person{n}", influence=n % 100) for n in range(500)
    )
    customer = Customer.objects.create(client=north, name="Ana Lima")
    with connection.cursor() as cursor:
        cursor.execute(
            _MENTIONS_SQL,
            {
                "count": MENTIONS, "clients": [north.pk, south.pk],
                "channels": [north_channel.pk, south_channel.pk],
                "authors": [a.pk for a in authors], "people": len(authors),
                "assignee": owner.pk, "team": team.pk, "customer": customer.pk,
            },
        )  # fmt: skip
        cursor.execute(_ACKNOWLEDGEMENTS_SQL, {"count": ACKNOWLEDGEMENTS, "user": owner.pk})
        # A sample as large as the tables: the same statistics, so the same plans, every run.
        cursor.execute("SET LOCAL default_statistics_target = 200")
        cursor.execute(f"ANALYZE {Mention._meta.db_table}")
        cursor.execute("ANALYZE acknowledgements_acknowledgement")
        cursor.execute(f"ANALYZE {Author._meta.db_table}")
    return {
        "north": north, "channel": north_channel, "team": team, "owner": owner,
        "member": member, "client_user": client_user,
    }  # fmt: skip


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _offences(sql: str, sort_bound: int) -> list[str]:
    """What is wrong with the plan of ``sql``: sequential scans of the big tables, sorts of
    more than ``sort_bound`` rows."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    found = []
    for node in _nodes(plan[0]["Plan"]):
        kind = node["Node Type"]
        if kind == "Seq Scan" and node.get("Relation Name") in TABLES:
            found.append(f"Seq Scan on {node['Relation Name']} ({node.get('Alias')})")
        if kind in ("Sort", "Incremental Sort") and node["Plan Rows"] > sort_bound:
            found.append(f"{kind} of {node['Plan Rows']:,} rows by {node.get('Sort Key')}")
    return found


def _list_queries(captured) -> list[str]:
    """The page reads among a request's queries: LIMITed SELECTs from mentions or
    acknowledgements (the status counts and the search's total are not lists)."""
    found = []
    for query in captured.captured_queries:
        sql = query["sql"]
        head = sql.split(" WHERE ", 1)[0]
        if not sql.startswith("SELECT") or " LIMIT " not in sql or "COUNT(" in head:
            continue
        if any(f'FROM "{table}"' in head for table in TABLES):
            found.append(sql)
    return found


def _check(browse, url: str, problems: list[str], *, pages: int = 2) -> None:
    """Request ``url`` and the page its ``next`` link leads to; note every offending plan."""
    search = "q=" in url
    for _ in range(pages):
        with CaptureQueriesContext(connection) as captured:
            response = browse(url)
        assert response.status_code == 200, (url, response.status_code)
        queries = _list_queries(captured)
        assert queries, f"no list query seen for {url}"
        for sql in queries:
            bound = SEARCH_CANDIDATES if search else PAGE + 1
            problems += [f"{url}: {offence}" for offence in _offences(sql, bound)]
        url = _next_link(response)
        if url is None:
            break


def _next_link(response) -> str | None:
    if response["Content-Type"].startswith("application/json"):
        following = response.json()["next"]
        if following is None:
            return None
        parts = urlsplit(following)
        return f"{parts.path}?{parts.query}"
    html = response.content.decode()
    marker = 'rel="next"'
    if marker not in html:
        return None
    start = html.rindex('href="', 0, html.index(marker)) + len('href="')
    link = html[start : html.index('"', start)].replace("&amp;", "&")
    return f"/inbox/{link}"


STATUS_TABS = ("open", "new", "assigned", "escalated", "acknowledged", "dismissed", "all")


def _inbox_urls(many) -> list[str]:
    urls = [f"/inbox/?status={status}" for status in STATUS_TABS]
    urls += [
        f"/inbox/?status={status}&ordering={ordering}"
        for status in STATUS_TABS
        for ordering in MENTION_ORDERINGS
    ]
    narrowing = [
        f"client={many['north'].pk}", f"channel={many['channel'].pk}", "sentiment=negative",
        "intent=complaint", f"team={many['team'].pk}", "priority=high", "customer=on",
        "influencer=on", "q=latte", "q=lovely", "sentiment=negative&priority=urgent",
    ]  # fmt: skip
    urls += [f"/inbox/?status={status}&{n}" for status in ("open", "all") for n in narrowing]
    return urls


def test_every_inbox_list_reads_a_page_through_an_index(many):
    browser = host_client(connection.tenant)
    problems: list[str] = []
    for user in (many["owner"], many["member"], many["client_user"]):
        browser.force_login(user)
        urls = _inbox_urls(many) if user is many["owner"] else ["/inbox/", "/inbox/?status=all"]
        for url in urls:
            _check(browser.get, url, problems)
    assert not problems, "\n".join(problems)


def _api_urls(many) -> list[str]:
    base = "/api/v1/mentions/"
    urls = [base] + [f"{base}?ordering={ordering}" for ordering in MENTION_ORDERINGS]
    filters = [
        f"client={many['north'].pk}", f"channel={many['channel'].pk}",
        *(f"status={status}" for status in Mention.Status.values),
        *(f"sentiment={label}" for label in Mention.Sentiment.values), "intent=question",
        "needs_acknowledgement=false", "since=2020-01-01", "until=2099-01-01",
        f"assigned_to={many['owner'].pk}", f"team={many['team'].pk}", "q=latte",
        "q=broken&ordering=-posted_at", "status=new&ordering=sla_due_at",
        "status=new&ordering=-priority_score",
    ]  # fmt: skip
    urls += [f"{base}?{f}" for f in filters]
    ack = "/api/v1/acknowledgements/"
    urls += [ack, f"{ack}?client={many['north'].pk}", f"{ack}?user={many['owner'].pk}"]
    urls += [f"{ack}?since=2020-01-01"]
    return urls


def test_every_api_list_reads_a_page_through_an_index(many, agency_a):
    problems: list[str] = []
    for user in (many["owner"], many["member"]):
        api = api_client(agency_a, user)
        urls = _api_urls(many) if user is many["owner"] else ["/api/v1/mentions/"]
        for url in urls:
            _check(api.get, url, problems)
    assert not problems, "\n".join(problems)


def test_a_conversation_finds_its_thread_through_indexes(many):
    """Up a reply's links to the first post and down to every reply, each step an index probe
    (at 1,000,000 mentions the thread of a post was 2.5 s when it read the channel's mentions)."""
    first, answer, follow_up, alone = Mention.objects.filter(channel=many["channel"]).order_by(
        "pk"
    )[:4]
    Mention.objects.filter(pk=answer.pk).update(parent_external_id=first.external_id)
    Mention.objects.filter(pk=follow_up.pk).update(parent_external_id=answer.external_id)
    browser = host_client(connection.tenant)
    browser.force_login(many["owner"])
    problems, pages = [], {}
    for mention in (follow_up, alone):
        with CaptureQueriesContext(connection) as captured:
            pages[mention] = browser.get(f"/inbox/{mention.pk}/").content.decode()
        (sql,) = [q["sql"] for q in captured.captured_queries if "WITH RECURSIVE" in q["sql"]]
        problems += [f"thread of {mention.pk}: {offence}" for offence in _offences(sql, PAGE)]
    assert not problems, "\n".join(problems)
    shown = [m for m in (first, answer) if f'href="/inbox/{m.pk}/"' in pages[follow_up]]
    assert shown == [first, answer]  # the thread, first post first
    assert f'href="/inbox/{first.pk}/"' not in pages[alone]


def test_the_community_page_reads_only_the_mentions_that_ask(many):
    """The community report's questions nobody answered come from the mentions with a question
    mark alone (mention_question_idx), not from every text of the period."""
    browser = host_client(connection.tenant)
    browser.force_login(many["owner"])
    with CaptureQueriesContext(connection) as captured:
        page = browser.get(f"/community/clients/{many['north'].pk}/")
    assert page.status_code == 200
    (sql,) = [q["sql"] for q in captured.captured_queries if "[?¿]" in q["sql"]]
    assert not _offences(sql, PAGE)
    assert "mention_question_idx" in _plan(sql), _plan(sql)


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_home_queue_reads_a_persons_open_mentions_by_due_date(many):
    """A person's queue on their home page (their open mentions, SLA due first) is read in its
    order from mention_open_assignee_due_idx, not found among every open mention by due date
    (0.2 s at 1,000,000 mentions)."""
    browser = host_client(connection.tenant)
    browser.force_login(many["owner"])
    with CaptureQueriesContext(connection) as captured:
        assert browser.get("/").status_code == 200
    mine = f'"listening_mention"."assigned_to_id" = {many["owner"].pk})'
    queue = [q["sql"] for q in captured.captured_queries if mine in q["sql"]]
    assert queue, "no queue read on the home page"
    for sql in queue:
        assert "mention_open_assignee_due_idx" in _plan(sql), _plan(sql)


def test_the_advocacy_funnel_groups_no_acknowledgements(many):
    """Each person's first acknowledgement of the period is one row of ``AcknowledgedMention``:
    the funnel neither groups nor sorts acknowledged mentions (at 1,000,000 mentions grouping
    them by person was 54 ms of the funnel's 130)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE listening_acknowledgedmention")
        cursor.execute("ANALYZE listening_authoractivity")
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) {_FUNNEL}",
            {"client": many["north"].pk, "since": timezone.now() - timedelta(days=90),
             "until": timezone.now()},
        )  # fmt: skip
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    nodes = list(_nodes(plan[0]["Plan"]))
    assert [n["Strategy"] for n in nodes if n["Node Type"] == "Aggregate"] == ["Plain"]  # counts
    assert not [n["Node Type"] for n in nodes if "Sort" in n["Node Type"]]
    people = [n for n in nodes if n.get("Relation Name") == "listening_acknowledgedmention"]
    assert people, "the people acknowledged are not read from AcknowledgedMention"
    # Mentions are only probed by index, person by person, for advocacy.
    assert {n["Node Type"] for n in nodes if n.get("Relation Name") == Mention._meta.db_table} <= {
        "Index Scan",
        "Index Only Scan",
    }

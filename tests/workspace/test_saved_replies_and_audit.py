"""The saved replies page (staff: agency-wide or per client, placeholders previewed) and the
audit log page (owners and managers: filtered by person, client, kind and date; CSV export with
formula-like cells quoted)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from apps.acknowledgements.models import AuditEntry, SavedReply
from apps.acknowledgements.services import routing_rule_create, saved_reply_create
from tests.accounts.factories import UserFactory
from tests.clients.factories import ClientFactory, ClientMembershipFactory


def _as(client_a, user):
    client_a.force_login(user)
    return client_a


def test_staff_write_saved_replies_per_client_or_for_all_and_see_them_filled(in_agency_a, client_a):
    brand = ClientFactory(name="Lumen")
    browser = _as(client_a, UserFactory(role="responder"))
    form = {"title": "Thanks", "text": "Thanks {first_name} ({handle})!", "client": brand.pk}
    preview = browser.post("/settings/saved-replies/", {**form, "action": "preview"})
    assert "Preview: Thanks Ana (@ana.lima)!" in preview.content.decode()
    assert not SavedReply.objects.exists()

    assert browser.post("/settings/saved-replies/", {**form, "action": "save"}).status_code == 302
    browser.post("/settings/saved-replies/", {"title": "Hi", "text": "Hello {handle}",
                                              "client": "", "action": "save"})  # fmt: skip
    mine = SavedReply.objects.get(title="Thanks")
    assert mine.client == brand and SavedReply.objects.get(title="Hi").client is None
    page = browser.get("/settings/saved-replies/").content.decode()
    assert "Thanks Ana (@ana.lima)!" in page and "Every client" in page

    edited = browser.post(
        "/settings/saved-replies/",
        {"reply": mine.pk, "title": "Thanks!", "text": "Cheers {first_name}", "action": "save"},
    )
    assert edited.status_code == 302
    mine.refresh_from_db()
    assert (mine.title, mine.text, mine.client) == ("Thanks!", "Cheers {first_name}", brand)
    assert AuditEntry.objects.filter(object_type="saved_reply", object_id=mine.pk).count() == 2


def test_an_unknown_placeholder_is_refused_next_to_the_text_keeping_it(in_agency_a, client_a):
    browser = _as(client_a, UserFactory(role="owner"))
    response = browser.post(
        "/settings/saved-replies/",
        {"title": "Oops", "text": "Hi {name}", "client": "", "action": "save"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    error = re.search(r'id="id_text_error" class="field-error">([^<]*)<', body).group(1)
    assert "{name}" in error and "Hi {name}</textarea>" in body
    assert not SavedReply.objects.exists()


def test_client_users_and_team_members_find_no_saved_replies_page(in_agency_a, client_a):
    for role in ("client_viewer", "team_member"):
        assert _as(client_a, UserFactory(role=role)).get("/settings/saved-replies/").status_code \
            == 404  # fmt: skip


def test_a_responder_cannot_edit_a_reply_of_a_client_they_do_not_see(in_agency_a, client_a):
    mine, theirs = ClientFactory(), ClientFactory()
    responder = UserFactory(role="responder")
    ClientMembershipFactory(user=responder, client=mine)
    foreign = saved_reply_create(title="T", text="x", user=None, client=theirs)
    browser = _as(client_a, responder)
    assert browser.get(f"/settings/saved-replies/?edit={foreign.pk}").status_code == 404
    response = browser.post(
        "/settings/saved-replies/",
        {"reply": foreign.pk, "title": "Mine now", "text": "y", "action": "save"},
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.title == "T"


def _entries(in_agency_a):
    ana, bo = UserFactory(role="manager", email="ana@x.test"), UserFactory(email="bo@x.test")
    lumen, harbor = ClientFactory(name="Lumen"), ClientFactory(name="Harbor")
    saved_reply_create(title='=HYPERLINK("http://evil")', text="t", user=ana, client=lumen)
    routing_rule_create(client=harbor, user=bo, name="VIP", add_tag="vip")
    AuditEntry.objects.filter(object_type="routing_rule").update(
        created_at=datetime.now(UTC) - timedelta(days=10)
    )
    return ana, bo, lumen, harbor


def test_the_audit_log_filters_by_person_client_kind_and_date(in_agency_a, client_a):
    _, bo, lumen, _ = _entries(in_agency_a)
    browser = _as(client_a, UserFactory(role="owner"))

    def shown(query: str) -> set[str]:
        body = browser.get(f"/settings/audit/?{query}").content.decode()
        return set(re.findall(r"<td>(saved_reply|routing_rule) #", body))

    assert shown("") == {"saved_reply", "routing_rule"}
    assert shown(f"person={bo.pk}") == {"routing_rule"}
    assert shown(f"client={lumen.pk}") == {"saved_reply"}
    assert shown("kind=routing_rule") == {"routing_rule"}
    today = datetime.now(UTC).date()
    assert shown(f"since={today - timedelta(days=2)}") == {"saved_reply"}
    assert shown(f"until={today - timedelta(days=5)}") == {"routing_rule"}
    bad = browser.get("/settings/audit/?since=yesterday")
    assert bad.status_code == 400 and "valid date" in bad.content.decode()


def test_the_audit_log_exports_csv_with_formula_cells_quoted(in_agency_a, client_a):
    _, _, lumen, _ = _entries(in_agency_a)
    browser = _as(client_a, UserFactory(role="manager"))
    response = browser.get(f"/settings/audit.csv?client={lumen.pk}")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "created_at", "person", "action"]
    assert len(rows) == 2 and rows[1][2] == "ana@x.test"
    assert (rows[1][3], rows[1][4]) == ("create", "saved_reply")
    assert '"title": "=HYPERLINK' in rows[1][7]  # inside the JSON cell, never a formula
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in rows[1])


def test_only_owners_and_managers_read_the_audit_log(in_agency_a, client_a):
    for role in ("responder", "client_viewer", "team_member"):
        browser = _as(client_a, UserFactory(role=role))
        assert browser.get("/settings/audit/").status_code == 404
        assert browser.get("/settings/audit.csv").status_code == 404

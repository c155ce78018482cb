"""Owners and managers add, edit and archive clients and invite the client's people from its
page; bad input is refused next to its field with what was typed kept; nobody else finds the
pages (404)."""

from __future__ import annotations

import re

from django.core import mail

from apps.accounts.models import User
from apps.clients.models import Client, ClientMembership
from tests.accounts.factories import UserFactory
from tests.clients.factories import ClientFactory

FORM = {
    "action": "save",
    "name": "Aurora Tea",
    "slug": "",
    "timezone": "Europe/Berlin",
    "brand_handles": "@auroratea, aurora.bsky.social",
    "keywords": "aurora tea, matcha",
    "competitors": "Zenith Tea",
}


def _as(client_a, role: str):
    client_a.force_login(UserFactory(role=role))
    return client_a


def _error(body: str, field: str) -> str:
    return re.search(rf'id="id_{field}_error" class="field-error">([^<]*)<', body).group(1)


def test_a_manager_adds_a_client_from_the_page(in_agency_a, client_a):
    response = _as(client_a, "manager").post("/clients/new/", FORM)
    client = Client.objects.get(name="Aurora Tea")
    assert response.status_code == 302 and response["Location"] == f"/clients/{client.pk}/"
    assert (client.slug, client.timezone) == ("aurora-tea", "Europe/Berlin")
    assert client.brand_handles == ["auroratea", "aurora.bsky.social"]
    assert client.keywords == ["aurora tea", "matcha"] and client.competitors == ["Zenith Tea"]
    assert "Aurora Tea" in client_a.get("/clients/").content.decode()


def test_a_taken_slug_is_refused_next_to_the_field_keeping_the_input(in_agency_a, client_a):
    ClientFactory(slug="aurora")
    response = _as(client_a, "owner").post("/clients/new/", {**FORM, "slug": "aurora"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "already exists" in _error(body, "slug")
    assert 'value="Aurora Tea"' in body
    assert 'value="aurora tea, matcha"' in body
    assert not Client.objects.filter(name="Aurora Tea").exists()


def test_editing_and_archiving_a_client(in_agency_a, client_a):
    client = ClientFactory(name="Old name")
    browser = _as(client_a, "manager")
    response = browser.post(
        f"/clients/{client.pk}/", {**FORM, "name": "New name", "slug": client.slug}
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.name, client.timezone) == ("New name", "Europe/Berlin")
    browser.post(f"/clients/{client.pk}/", {"action": "archive"})
    client.refresh_from_db()
    assert client.is_active is False
    assert "(archived)" in browser.get(f"/clients/{client.pk}/").content.decode()
    browser.post(f"/clients/{client.pk}/", {"action": "restore"})
    client.refresh_from_db()
    assert client.is_active is True


def test_an_unknown_time_zone_is_refused(in_agency_a, client_a):
    response = _as(client_a, "owner").post("/clients/new/", {**FORM, "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    assert "valid choice" in _error(response.content.decode(), "timezone")


def test_the_clients_people_are_invited_from_its_page(in_agency_a, client_a):
    client = ClientFactory()
    browser = _as(client_a, "owner")
    response = browser.post(
        f"/clients/{client.pk}/",
        {"action": "invite", "invite-email": "cmo@brand.test", "invite-role": "client_viewer"},
    )
    assert response.status_code == 302
    invited = User.objects.get(email="cmo@brand.test")
    assert invited.role == "client_viewer" and not invited.is_active
    assert ClientMembership.objects.filter(user=invited, client=client).exists()
    assert mail.outbox[-1].to == ["cmo@brand.test"]
    assert "/accounts/invitation/" in mail.outbox[-1].body
    assert "cmo@brand.test" in browser.get(f"/clients/{client.pk}/").content.decode()
    again = browser.post(
        f"/clients/{client.pk}/",
        {"action": "invite", "invite-email": "cmo@brand.test", "invite-role": "client_viewer"},
    )
    assert again.status_code == 400 and "already invited" in again.content.decode()
    assert 'value="cmo@brand.test"' in again.content.decode()


def test_only_owners_and_managers_find_the_client_pages(in_agency_a, client_a):
    client = ClientFactory()
    for role in ("responder", "team_member", "client_viewer"):
        browser = _as(client_a, role)
        assert browser.get("/clients/new/").status_code == 404
        assert browser.post("/clients/new/", FORM).status_code == 404
        assert browser.post(f"/clients/{client.pk}/", {"action": "archive"}).status_code == 404
    client.refresh_from_db()
    assert client.is_active and not Client.objects.filter(name="Aurora Tea").exists()


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (0, 200, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_manager_sets_the_reports_language_and_logo_which_the_clients_people_see(
    in_agency_a, client_a
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.clients.factories import ClientMembershipFactory

    browser = _as(client_a, "manager")
    logo = SimpleUploadedFile("aurora.png", _png(), content_type="image/png")
    response = browser.post("/clients/new/", {**FORM, "locale": "de", "logo": logo})
    client = Client.objects.get(name="Aurora Tea")
    assert response.status_code == 302
    assert client.locale == "de" and client.logo_type == "image/png"
    shown = browser.get(f"/clients/{client.pk}/logo")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown.content == _png()
    assert (
        f'src="/clients/{client.pk}/logo"' in browser.get(f"/clients/{client.pk}/").content.decode()
    )

    # The client's own people see it (their portal, their reports); another client's do not
    own, other = UserFactory(role="client_viewer"), UserFactory(role="client_viewer")
    ClientMembershipFactory(client=client, user=own)
    ClientMembershipFactory(client=ClientFactory(), user=other)
    client_a.force_login(own)
    assert client_a.get(f"/clients/{client.pk}/logo").status_code == 200
    client_a.force_login(other)
    assert client_a.get(f"/clients/{client.pk}/logo").status_code == 404

    client_a.force_login(UserFactory(role="manager"))
    edit = {**FORM, "slug": client.slug, "remove_logo": "on"}
    response = client_a.post(f"/clients/{client.pk}/", edit)
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.logo is None and client.locale == "de"  # the language was not in the form
    assert client_a.get(f"/clients/{client.pk}/logo").status_code == 404


def test_a_logo_that_is_no_image_is_refused_next_to_the_field(in_agency_a, client_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    script = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = _as(client_a, "owner").post("/clients/new/", {**FORM, "logo": script})
    assert response.status_code == 400
    assert "not a PNG or JPEG" in _error(response.content.decode(), "logo")
    assert 'value="Aurora Tea"' in response.content.decode()
    assert not Client.objects.filter(name="Aurora Tea").exists()


def test_a_logo_too_large_is_refused_without_being_read_whole(in_agency_a, client_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    huge = SimpleUploadedFile("logo.png", _png() + b"\0" * 2_000_000, content_type="image/png")
    response = _as(client_a, "owner").post("/clients/new/", {**FORM, "logo": huge})
    assert response.status_code == 400
    assert "at most 256 KB" in _error(response.content.decode(), "logo")

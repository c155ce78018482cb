"""Owners and managers invite people by e-mail with a role (and a client for client roles); the
one-time link lets the person choose a password, activates them and signs them in."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from apps.accounts.models import User
from apps.accounts.services import user_invite
from apps.acknowledgements.models import AuditEntry
from apps.clients.models import ClientMembership
from tests.accounts.factories import UserFactory
from tests.api.conftest import api_client
from tests.clients.factories import ClientFactory
from tests.conftest import PASSWORD, host_client

CHOSEN = "violet harbour lantern 42"


def signed_in(agency, user):
    client = host_client(agency)
    user.set_password(PASSWORD)
    user.save()
    assert client.login(username=user.email, password=PASSWORD)
    return client


@pytest.fixture
def owner(in_agency_a):
    return UserFactory(role="owner", email="olive@alpha.test", first_name="Olive", last_name="Ng")


def invitation_path(message) -> str:
    link = re.search(r"https?://\S+/accounts/invitation/\S+/\S+/", message.body).group(0)
    assert link.startswith("http://alpha.localhost/accounts/invitation/"), link
    return link.removeprefix("http://alpha.localhost")


def invite(browser, **data):
    return browser.post("/accounts/people/", {"role": "responder", **data})


def test_an_invite_mails_a_link_that_activates_and_signs_in_once(owner, agency_a):
    response = invite(signed_in(agency_a, owner), email="New.Person@Example.test")
    assert response.status_code == 302 and response["Location"] == "/accounts/people/"

    invited = User.objects.get(email="new.person@example.test")
    assert not invited.is_active and not invited.has_usable_password()
    assert invited.role == "responder"
    (message,) = mail.outbox
    assert message.to == ["new.person@example.test"]
    assert message.subject == "Olive Ng invited you to Alpha Agency on Rapport"
    assert "Olive Ng (olive@alpha.test) invited you to join Alpha Agency" in message.body
    path = invitation_path(message)

    browser = host_client(agency_a)
    form = browser.get(path, follow=True)
    set_password_url = form.redirect_chain[-1][0]
    assert set_password_url.endswith("/set-password/")  # the token leaves the address bar
    assert "Join Alpha Agency" in form.content.decode()
    joined = browser.post(set_password_url, {"new_password1": CHOSEN, "new_password2": CHOSEN})
    assert joined.status_code == 302 and joined["Location"] == "/"

    invited.refresh_from_db()
    assert invited.is_active and invited.check_password(CHOSEN)
    home = browser.get("/")
    assert home.status_code == 200 and "new.person@example.test" in home.content.decode()

    # A second use of the link fails, and changes nothing.
    stranger = host_client(agency_a)
    again = stranger.get(path, follow=True)
    assert "This invitation no longer works" in again.content.decode()
    assert not again.redirect_chain
    stranger.post(path, {"new_password1": "other pass 9876", "new_password2": "other pass 9876"})
    invited.refresh_from_db()
    assert invited.check_password(CHOSEN)


def test_a_weak_password_is_refused_with_the_validators_message(owner, agency_a):
    invite(signed_in(agency_a, owner), email="weak@example.test")
    browser = host_client(agency_a)
    form = browser.get(invitation_path(mail.outbox[0]), follow=True)
    refused = browser.post(
        form.redirect_chain[-1][0], {"new_password1": "password", "new_password2": "password"}
    )
    assert refused.status_code == 200
    assert "This password is too common." in refused.content.decode()
    assert not User.objects.get(email="weak@example.test").is_active
    assert browser.get("/").status_code == 302  # not signed in


def test_the_people_page_lists_everyone_with_role_and_state(owner, agency_a):
    browser = signed_in(agency_a, owner)
    invite(browser, email="pending@example.test", role="manager")
    page = browser.get("/accounts/people/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "pending@example.test" in html and "Invited, not yet joined" in html
    assert "olive@alpha.test" in html and "Active" in html and "Account manager" in html


@pytest.mark.parametrize("role", ["responder", "team_member", "client_viewer", "client_responder"])
def test_only_owners_and_managers_open_the_people_page_and_invite(in_agency_a, agency_a, role):
    browser = signed_in(agency_a, UserFactory(role=role))
    assert browser.get("/accounts/people/").status_code == 404
    assert invite(browser, email="sneaky@example.test").status_code == 404
    assert not User.objects.filter(email="sneaky@example.test").exists()
    assert mail.outbox == []


def test_a_manager_invites_but_not_as_owner(in_agency_a, agency_a):
    browser = signed_in(agency_a, UserFactory(role="manager"))
    page = browser.get("/accounts/people/").content.decode()
    assert '<option value="owner"' not in page
    refused = invite(browser, email="boss@example.test", role="owner")
    assert refused.status_code == 400
    assert not User.objects.filter(email="boss@example.test").exists()
    assert invite(browser, email="helper@example.test").status_code == 302


def test_signed_out_visitors_are_sent_to_sign_in(client_a):
    response = client_a.get("/accounts/people/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_client_role_invite_requires_a_client_and_binds_them_to_it(owner, agency_a):
    brand = ClientFactory(name="Northwind")
    browser = signed_in(agency_a, owner)
    missing = invite(browser, email="clara@example.test", role="client_viewer")
    assert missing.status_code == 400
    assert "Choose the client this person will see." in missing.content.decode()
    assert not User.objects.filter(email="clara@example.test").exists()

    assert invite(
        browser, email="clara@example.test", role="client_responder", client=brand.pk
    ).status_code == 302  # fmt: skip
    clara = User.objects.get(email="clara@example.test")
    membership = ClientMembership.objects.get(user=clara)
    assert membership.client == brand and membership.role == "responder"
    assert "Northwind" in mail.outbox[0].body


def test_the_client_field_shows_for_client_roles_only(owner, agency_a):
    browser = signed_in(agency_a, owner)
    plain = browser.get("/accounts/people/").content.decode()
    assert '<div id="client-field" hidden>' in plain and 'name="client"' not in plain
    client_role = browser.get("/accounts/people/?role=client_viewer").content.decode()
    assert '<div id="client-field">' in client_role and 'name="client"' in client_role


def test_the_client_field_offers_the_active_clients_only(owner, agency_a):
    ClientFactory(name="Northwind")
    ClientFactory(name="Oldfield", is_active=False)
    page = signed_in(agency_a, owner).get("/accounts/people/?role=client_viewer").content.decode()
    assert "Northwind" in page and "Oldfield" not in page


def test_an_address_already_in_the_agency_is_a_clear_form_error(owner, agency_a):
    browser = signed_in(agency_a, owner)
    taken = invite(browser, email="OLIVE@alpha.test")
    assert taken.status_code == 400
    assert "olive@alpha.test already has an account at this agency." in taken.content.decode()
    invite(browser, email="twice@example.test")
    again = invite(browser, email="twice@example.test")
    assert "twice@example.test was already invited at this agency." in again.content.decode()
    assert len(mail.outbox) == 1


def test_an_address_of_another_agency_can_be_invited_here(owner, agency_a, agency_b):
    """People live in their agency's schema: the same address may belong to both agencies."""
    assert invite(signed_in(agency_a, owner), email="owner@beta.test").status_code == 302
    assert not User.objects.get(email="owner@beta.test").is_active


def test_the_service_refuses_inviters_who_are_not_owners_or_managers(in_agency_a):
    with pytest.raises(PermissionDenied):
        user_invite(
            email="x@example.test", role="responder", invited_by=UserFactory(role="responder")
        )
    assert not User.objects.filter(email="x@example.test").exists()


def test_an_invitation_link_is_no_password_reset_link(owner, agency_a):
    invite(signed_in(agency_a, owner), email="sly@example.test")
    reset_path = invitation_path(mail.outbox[0]).replace("/invitation/", "/password-reset/")
    page = host_client(agency_a).get(reset_path, follow=True).content.decode()
    assert "This link no longer works" in page
    assert not User.objects.get(email="sly@example.test").has_usable_password()


def test_a_removed_person_is_signed_out_everywhere_and_cannot_come_back(owner, agency_a):
    kim = UserFactory(role="responder", email="kim@alpha.test")
    kims_browser = signed_in(agency_a, kim)
    kims_token = api_client(agency_a, kim)
    assert kims_token.get("/api/v1/clients/").status_code == 200
    browser = signed_in(agency_a, owner)
    assert 'name="remove"' in browser.get("/accounts/people/").content.decode()

    removed = browser.post("/accounts/people/", {"remove": kim.pk}, follow=True)

    assert "kim@alpha.test was removed" in removed.content.decode()
    assert kims_token.get("/api/v1/clients/").status_code == 401
    assert kims_browser.get("/inbox/").status_code == 302
    assert not host_client(agency_a).login(username=kim.email, password=PASSWORD)
    assert AuditEntry.objects.filter(action="remove", object_id=kim.pk, actor=owner).exists()


def test_a_manager_cannot_remove_an_owner_nor_anyone_themselves(owner, agency_a):
    manager = UserFactory(role="manager")
    browser = signed_in(agency_a, manager)
    browser.post("/accounts/people/", {"remove": owner.pk})
    browser.post("/accounts/people/", {"remove": manager.pk})
    assert User.objects.filter(pk__in=[owner.pk, manager.pk], is_active=True).count() == 2
    responder = signed_in(agency_a, UserFactory(role="responder"))
    assert responder.post("/accounts/people/", {"remove": owner.pk}).status_code == 404

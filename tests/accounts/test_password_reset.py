"""Password reset by e-mail on an agency's host: the link points at that host and sets a new
password; an address of another agency gets nothing, and the page says the same."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.accounts.factories import UserFactory
from tests.api.conftest import api_client
from tests.conftest import PASSWORD, host_client

NEW_PASSWORD = "a brand new tangerine kite"


@pytest.fixture
def kim(in_agency_a):
    return UserFactory(role="responder", email="kim@alpha.test")


def reset_link(message) -> str:
    return re.search(r"https?://\S+/accounts/password-reset/\S+/\S+/", message.body).group(0)


def test_the_login_page_links_to_password_reset(client_a):
    page = client_a.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password-reset/">Forgot your password?</a>' in page


def test_reset_mails_a_link_on_the_agency_host_that_sets_a_new_password(kim, agency_a):
    browser = host_client(agency_a)
    browser.defaults["HTTP_HOST"] = "alpha.localhost:8000"  # as a browser in development sends it
    response = browser.post("/accounts/password-reset/", {"email": "KIM@alpha.test"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert "Check your inbox" in browser.get(response["Location"]).content.decode()

    (message,) = mail.outbox
    assert message.to == ["kim@alpha.test"]
    assert "Alpha Agency" in message.subject
    link = reset_link(message)
    assert link.startswith("http://alpha.localhost:8000/accounts/password-reset/")

    path = link.removeprefix("http://alpha.localhost:8000")
    form = browser.get(path, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    done = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/password-reset/done/"
    assert "Sign in" in browser.get(done["Location"]).content.decode()

    kim.refresh_from_db()
    assert kim.check_password(NEW_PASSWORD)
    assert host_client(agency_a).login(username="kim@alpha.test", password=NEW_PASSWORD)
    # The link worked once.
    again = host_client(agency_a).get(path, follow=True).content.decode()
    assert "This link no longer works" in again


def test_an_address_of_another_agency_gets_no_mail_and_the_same_page(kim, agency_a, agency_b):
    browser = host_client(agency_a)
    known = browser.post("/accounts/password-reset/", {"email": "kim@alpha.test"}, follow=True)
    mail.outbox.clear()
    foreign = browser.post("/accounts/password-reset/", {"email": "owner@beta.test"}, follow=True)
    unknown = browser.post("/accounts/password-reset/", {"email": "nobody@x.test"}, follow=True)
    assert mail.outbox == []
    assert foreign.redirect_chain == known.redirect_chain == unknown.redirect_chain
    assert foreign.content == known.content == unknown.content


def test_an_invited_person_who_has_not_joined_gets_no_reset_mail(kim, agency_a):
    kim.is_active = False
    kim.set_unusable_password()
    kim.save()
    host_client(agency_a).post("/accounts/password-reset/", {"email": "kim@alpha.test"})
    assert mail.outbox == []


def test_a_made_up_reset_link_says_what_to_do(client_a):
    page = client_a.get("/accounts/password-reset/MQ/not-a-token/").content.decode()
    assert "This link no longer works" in page
    assert 'href="/accounts/password-reset/"' in page


def test_old_password_stops_working_after_reset(kim, agency_a):
    kim.set_password(PASSWORD)
    kim.save()
    browser = host_client(agency_a)
    browser.post("/accounts/password-reset/", {"email": "kim@alpha.test"})
    path = reset_link(mail.outbox[0]).split("alpha.localhost", 1)[1]
    form = browser.get(path, follow=True)
    browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert not host_client(agency_a).login(username="kim@alpha.test", password=PASSWORD)


def test_a_reset_revokes_the_api_tokens_and_sessions_opened_with_the_old_password(kim, agency_a):
    kim.set_password(PASSWORD)
    kim.save()
    token = api_client(agency_a, kim)
    assert token.get("/api/v1/clients/").status_code == 200
    elsewhere = host_client(agency_a)
    assert elsewhere.login(username=kim.email, password=PASSWORD)
    browser = host_client(agency_a)
    browser.post("/accounts/password-reset/", {"email": "kim@alpha.test"})
    path = reset_link(mail.outbox[0]).split("alpha.localhost", 1)[1]
    form = browser.get(path, follow=True)

    browser.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert token.get("/api/v1/clients/").status_code == 401
    assert elsewhere.get("/inbox/").status_code == 302  # back to sign in

"""Error pages say what happened and what to do next; the nav shows each kind of user only
what they can open."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.views.defaults import permission_denied, server_error

from tests.accounts.factories import UserFactory
from tests.conftest import PASSWORD, host_client


def signed_in(agency, user):
    client = host_client(agency)
    user.set_password(PASSWORD)
    user.save()
    assert client.login(username=user.email, password=PASSWORD)
    return client


def nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return re.findall(r">([^<]+)</a>", nav)


def test_the_404_page_tells_a_signed_in_user_where_to_go(in_agency_a, agency_a, settings):
    settings.DEBUG = False
    page = signed_in(agency_a, UserFactory(role="responder")).get("/no/such/page/")
    html = page.content.decode()
    assert page.status_code == 404
    assert "We can't find that page" in html
    assert "belongs to a client or an agency your account can't see" in html
    assert '<a href="/inbox/">Go to your inbox</a>' in html


def test_the_404_page_asks_a_visitor_to_sign_in(client_a, settings):
    settings.DEBUG = False
    page = client_a.get("/no/such/page/")
    html = page.content.decode()
    assert page.status_code == 404
    assert '<a href="/accounts/login/">Sign in to Alpha Agency</a>' in html


def test_the_403_page_says_who_to_ask(in_agency_a, agency_a):
    request = RequestFactory().get("/", HTTP_HOST="alpha.localhost")
    request.user, request.tenant = UserFactory(role="responder"), agency_a
    response = permission_denied(request, PermissionDenied())
    html = response.content.decode()
    assert response.status_code == 403
    assert "You can't do that here" in html and "Ask an owner or manager of Alpha Agency" in html
    assert 'href="/inbox/"' in html


def test_the_500_page_needs_no_request_context_and_suggests_next_steps(rf):
    response = server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "reload the page" in html and 'href="/accounts/login/"' in html


@pytest.mark.parametrize(
    ("role", "links"),
    [
        ("client_viewer", ["Inbox", "Reports"]),
        ("client_responder", ["Inbox", "Reports"]),
        ("team_member", ["Inbox", "Notifications"]),  # @mentioned in notes on routed mentions
    ],
)
def test_client_users_and_team_members_see_only_their_pages_in_the_nav(
    in_agency_a, agency_a, role, links
):
    html = signed_in(agency_a, UserFactory(role=role)).get("/").content.decode()
    assert nav_links(html) == links


def test_staff_see_the_workspace_and_owners_the_people_page(in_agency_a, agency_a):
    staff = ["Inbox", "Reports", "Mentions", "Queries", "Channels"]
    responder = nav_links(
        signed_in(agency_a, UserFactory(role="responder")).get("/").content.decode()
    )
    owner = nav_links(signed_in(agency_a, UserFactory(role="owner")).get("/").content.decode())
    assert set(staff) <= set(responder) and "People" not in responder
    assert set(staff) | {"People"} <= set(owner)

"""Every page names a favicon, and it is served."""

from __future__ import annotations

from django.contrib.staticfiles import finders

from tests.accounts.factories import UserFactory


def test_every_kind_of_page_links_the_favicon(in_agency_a, client_a, public_client):
    pages = [(public_client, "/"), (public_client, "/signup/"), (public_client, "/admin/login/"),
             (client_a, "/accounts/login/")]  # fmt: skip
    for browser, path in pages:
        assert 'rel="icon"' in browser.get(path).content.decode(), path
    client_a.force_login(UserFactory(role="owner"))
    for path in ("/", "/inbox/", "/settings/audit/", "/api/v1/docs/"):
        assert 'rel="icon"' in client_a.get(path).content.decode(), path
    browsable = client_a.get("/api/v1/clients/", HTTP_ACCEPT="text/html")
    assert 'rel="icon"' in browsable.content.decode()
    assert finders.find("favicon.svg")

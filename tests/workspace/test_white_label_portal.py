"""White label on the portal: a client's people see the agency's name, logo and accent colour
in the header instead of Rapport's; the agency's own staff keep Rapport's name."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from apps.core.images import logo_checked
from apps.tenants.services import agency_set_white_label
from tests.accounts.factories import UserFactory
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD, host_client


def png(colour=(255, 140, 0)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def branded(in_agency_a, agency_a):
    """Agency A with a logo and a teal accent (the row is rolled back with the test; the shared
    object is put back here)."""
    yield agency_set_white_label(agency=agency_a, accent_colour="#0f766e", logo=logo_checked(png()))
    agency_a.logo, agency_a.logo_type, agency_a.accent_colour = None, "", ""


def signed_in(agency, role: str, client=None):
    user = UserFactory(role=role)
    user.set_password(PASSWORD)
    user.save()
    if client is not None:
        ClientMembershipFactory(user=user, client=client)
    browser = host_client(agency)
    assert browser.login(username=user.email, password=PASSWORD)
    return browser


def header(html: str) -> str:
    return html[html.index('<header class="topbar">') : html.index("</header>")]


def test_a_client_user_sees_the_agencys_name_logo_and_colour(branded):
    client = ClientFactory(name="Crumb")
    browser = signed_in(branded, "client_viewer", client)

    page = browser.get(f"/reports/clients/{client.pk}/").content.decode()

    top = header(page)
    assert f'<img class="brand-logo" src="/logo" alt=""> {branded.name}</a>' in top
    assert "Rapport</a>" not in top
    assert 'style="--accent: #0f766e"' in page  # buttons, cards and links take the colour
    logo = browser.get("/logo")
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert logo.content.startswith(b"\x89PNG")


def test_the_sign_in_page_is_the_agencys_too(branded):
    page = host_client(branded).get("/accounts/login/").content.decode()
    assert branded.name in header(page) and 'src="/logo"' in header(page)


def test_the_agencys_staff_keep_rapports_name_in_the_colour_of_the_agency(branded):
    page = signed_in(branded, "manager").get("/reports/").content.decode()
    assert 'class="brand" href="/">Rapport</a>' in header(page)
    assert 'style="--accent: #0f766e"' in page


def test_without_a_logo_the_portal_shows_the_name_and_logo_is_a_404(in_agency_a, agency_a):
    client = ClientFactory(name="Crumb")
    browser = signed_in(agency_a, "client_viewer", client)
    page = browser.get(f"/reports/clients/{client.pk}/").content.decode()
    assert f'<a class="brand" href="/">{agency_a.name}</a>' in header(page)
    assert browser.get("/logo").status_code == 404


def test_pages_leave_the_agencys_logo_in_the_database_until_it_is_shown(
    branded, django_assert_max_num_queries
):
    client = ClientFactory(name="Crumb")
    browser = signed_in(branded, "client_viewer", client)
    with django_assert_max_num_queries(100) as page:
        html = browser.get(f"/reports/clients/{client.pk}/").content.decode()
    assert 'src="/logo"' in header(html)  # what it shows of the logo: its address
    assert not [q for q in page.captured_queries if '"tenants_agency"."logo"' in q["sql"]]
    with django_assert_max_num_queries(100) as served:
        assert browser.get("/logo").content.startswith(b"\x89PNG")
    assert [q for q in served.captured_queries if '"tenants_agency"."logo"' in q["sql"]]

"""``seed_demo`` gives a new user a demo agency they can sign in to."""

from io import StringIO

from django.core.management import call_command

from apps.tenants.models import Agency
from tests.conftest import host_client


def test_seed_demo_creates_demo_agency_whose_owner_can_sign_in(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "http://demo.localhost/" in out.getvalue()
    agency = Agency.objects.get(slug="demo")
    client = host_client(agency)
    response = client.post(
        "/accounts/login/", {"username": "demo@rapport.test", "password": "demo"}
    )
    assert response.status_code == 302
    assert b"Demo Agency" in client.get("/").content


def test_seed_demo_twice_keeps_one_demo_agency(db):
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert out.getvalue().startswith("Found demo agency")
    assert Agency.objects.filter(slug="demo").count() == 1

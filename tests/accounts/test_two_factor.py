"""Agency staff may turn on two-factor sign-in (TOTP, django-otp): they scan a QR code, confirm
with a code, and from then on signing in asks for the password and then the 6-digit code of
their authenticator app. Everyone else signs in as before; a locked account stays locked."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import services
from apps.accounts.models import User
from apps.acknowledgements.models import AuditEntry
from tests.accounts.factories import UserFactory
from tests.api.conftest import api_client
from tests.conftest import PASSWORD, host_client

CODE_STEP = "/accounts/login/code/"


@pytest.fixture
def kim(in_agency_a):
    user = UserFactory(role="responder", email="kim@alpha.test")
    user.set_password(PASSWORD)
    user.save()
    return user


def code(user: User, *, steps_ahead: int = 0) -> str:
    """The code ``user``'s authenticator app shows now (or ``steps_ahead`` periods from now):
    each code works once, so a later sign-in uses the next period's."""
    device = TOTPDevice.objects.filter(user=user).get()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(browser, email="kim@alpha.test", password=PASSWORD, **extra):
    return browser.post("/accounts/login/", {"username": email, "password": password, **extra})


def signed_in_user(browser) -> str | None:
    """Who the browser is signed in as, by the e-mail the page header shows."""
    home = browser.get("/")
    if home.status_code != 200:
        return None
    match = re.search(r'class="signout">.*?<span>([^<]+)</span>', home.content.decode(), re.S)
    return match.group(1) if match else None


def turn_on_through_the_pages(browser, user: User) -> None:
    page = browser.get("/accounts/two-factor/")
    assert page.status_code == 200 and "Set up two-factor sign-in" in page.content.decode()
    assert browser.post("/accounts/two-factor/", {"action": "start"}).status_code == 302

    page = browser.get("/accounts/two-factor/").content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed  # scanned, not yet proven
    assert "<svg" in page  # the QR code, drawn on the server: no script on the page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    assert b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key

    confirmed = browser.post("/accounts/two-factor/", {"action": "confirm", "code": code(user)})
    assert confirmed.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert "Turn off two-factor sign-in" in browser.get("/accounts/two-factor/").content.decode()


def test_with_two_factor_on_the_password_alone_does_not_sign_in(kim, agency_a):
    browser = host_client(agency_a)
    assert sign_in(browser).status_code == 302
    turn_on_through_the_pages(browser, kim)
    browser.post("/accounts/logout/")
    assert signed_in_user(browser) is None

    step = sign_in(browser, next="/inbox/")
    assert step.status_code == 302 and step["Location"] == CODE_STEP
    assert signed_in_user(browser) is None  # the right password, and still not signed in
    page = browser.get(CODE_STEP)
    assert page.status_code == 200 and "authenticator app" in page.content.decode()

    wrong = browser.post(CODE_STEP, {"code": "000000" if code(kim) != "000000" else "111111"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    assert signed_in_user(browser) is None

    time.sleep(1.1)  # django-otp pauses a device for a second after a wrong code
    right = browser.post(CODE_STEP, {"code": code(kim, steps_ahead=1)})
    assert right.status_code == 302 and right["Location"] == "/inbox/"
    assert browser.get("/inbox/").wsgi_request.user.is_verified()  # django-otp's session mark
    assert signed_in_user(browser) == "kim@alpha.test"
    assert browser.get(CODE_STEP)["Location"] == "/accounts/login/"  # nothing pending now
    assert AuditEntry.objects.filter(action="two_factor_on", object_id=kim.pk).exists()


def test_without_two_factor_the_password_alone_signs_in(kim, agency_a):
    browser = host_client(agency_a)
    response = sign_in(browser)
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_user(browser) == "kim@alpha.test"
    assert browser.get(CODE_STEP)["Location"] == "/accounts/login/"


def test_five_wrong_codes_end_the_pending_sign_in(kim, agency_a):
    services.two_factor_start(user=kim)
    services.two_factor_confirm(user=kim, code=code(kim))
    browser = host_client(agency_a)
    assert sign_in(browser)["Location"] == CODE_STEP
    wrong = "000000" if code(kim, steps_ahead=1) != "000000" else "111111"
    for _ in range(4):
        assert browser.post(CODE_STEP, {"code": wrong}).status_code == 200
    ended = browser.post(CODE_STEP, {"code": wrong}, follow=True)
    assert ended.redirect_chain == [("/accounts/login/", 302)]
    assert "Too many wrong codes: please sign in again." in ended.content.decode()
    assert "Forgot your password?" in ended.content.decode()

    late = browser.post(CODE_STEP, {"code": code(kim, steps_ahead=1)})
    assert late.status_code == 302 and late["Location"] == "/accounts/login/"
    assert signed_in_user(browser) is None


def test_a_locked_account_stays_locked_at_the_code_step(kim, agency_a):
    services.two_factor_start(user=kim)
    services.two_factor_confirm(user=kim, code=code(kim))
    browser, guesser = host_client(agency_a), host_client(agency_a)
    for _ in range(18):
        sign_in(guesser, password="wrong")
    assert sign_in(browser)["Location"] == CODE_STEP  # 18 of 20: the password still works

    assert browser.post(CODE_STEP, {"code": "12345x"}).status_code == 200  # a wrong code: 19
    locked = browser.post(CODE_STEP, {"code": "12345x"})  # 20: wrong codes count too
    assert locked.status_code == 429 and "Signing in is paused" in locked.content.decode()
    after = browser.post(CODE_STEP, {"code": code(kim, steps_ahead=1)})
    assert after.status_code == 302 and after["Location"] == "/accounts/login/"  # ended
    assert signed_in_user(browser) is None
    assert sign_in(browser).status_code == 429  # even the right password, while locked


def test_turning_two_factor_off_takes_a_code(kim, agency_a):
    browser = host_client(agency_a)
    sign_in(browser)
    turn_on_through_the_pages(browser, kim)

    refused = browser.post("/accounts/two-factor/", {"action": "disable", "code": "12 34 5"})
    assert refused.status_code == 400 and "Enter the 6 digits" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=kim, confirmed=True).exists()

    spaced = code(kim, steps_ahead=1)
    done = browser.post(
        "/accounts/two-factor/", {"action": "disable", "code": f"{spaced[:3]} {spaced[3:]}"}
    )
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=kim).exists()
    assert (
        "Signing in asks for your password only"
        in browser.get("/accounts/two-factor/").content.decode()
    )
    assert AuditEntry.objects.filter(action="two_factor_off", object_id=kim.pk).exists()

    browser.post("/accounts/logout/")
    assert sign_in(browser)["Location"] == "/"  # the password alone, again


@pytest.mark.parametrize("role", ["client_viewer", "client_responder", "team_member"])
def test_only_agency_staff_have_two_factor(in_agency_a, agency_a, role):
    user = UserFactory(role=role, email="someone@alpha.test")
    user.set_password(PASSWORD)
    user.save()
    browser = host_client(agency_a)
    assert browser.login(username=user.email, password=PASSWORD)
    assert browser.get("/accounts/two-factor/").status_code == 404
    assert browser.post("/accounts/two-factor/", {"action": "start"}).status_code == 404
    assert not TOTPDevice.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(agency_a, in_agency_a):
    browser = host_client(agency_a)
    response = browser.get("/accounts/two-factor/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert browser.get(CODE_STEP)["Location"] == "/accounts/login/"


def test_the_api_token_needs_the_code_too_when_two_factor_is_on(kim, agency_a):
    browser = host_client(agency_a)
    assert browser.login(username=kim.email, password=PASSWORD)
    turn_on_through_the_pages(browser, kim)
    api = api_client(agency_a)
    body = {"username": kim.email, "password": PASSWORD}
    password_only = api.post("/api/v1/auth/token/", body, format="json")
    assert password_only.status_code == 400 and "code" in password_only.json()
    right = api.post(
        "/api/v1/auth/token/", {**body, "code": code(kim, steps_ahead=1)}, format="json"
    )
    assert right.status_code == 201 and right.json()["token"].startswith("rpt_")
    wrong = api.post("/api/v1/auth/token/", {**body, "code": "000000"}, format="json")
    assert wrong.status_code == 400 and "token" not in wrong.json()


def test_turning_two_factor_on_revokes_other_sessions_and_api_tokens(kim, agency_a):
    elsewhere = host_client(agency_a)  # e.g. a laptop signed in with the password alone
    assert elsewhere.login(username=kim.email, password=PASSWORD)
    token = api_client(agency_a, kim)
    assert token.get("/api/v1/clients/").status_code == 200
    here = host_client(agency_a)
    assert here.login(username=kim.email, password=PASSWORD)

    turn_on_through_the_pages(here, kim)

    assert token.get("/api/v1/clients/").status_code == 401
    assert signed_in_user(elsewhere) is None
    assert signed_in_user(here) == "kim@alpha.test"  # the session that proved the code stays

"""Guessing passwords locks the account for a while; the API's token endpoint counts too;
pages carry a Content-Security-Policy that allows no inline script."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from apps.accounts.models import User
from tests.accounts.factories import UserFactory
from tests.conftest import PASSWORD, host_client


@pytest.fixture
def person(in_agency_a):
    user = UserFactory(role="responder", email="kim@alpha.test")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(browser, password):
    return browser.post("/accounts/login/", {"username": "kim@alpha.test", "password": password})


def test_twenty_wrong_passwords_lock_the_account_for_the_configured_time(
    person, agency_a, settings
):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)
    browser = host_client(agency_a)
    for _ in range(19):
        assert sign_in(browser, "wrong").status_code == 200  # the form again, with its error
    assert sign_in(browser, "wrong").status_code == 429
    locked = sign_in(browser, PASSWORD)  # even the right password, while locked
    assert locked.status_code == 429 and "Signing in is paused" in locked.content.decode()
    api = browser.post(
        "/api/v1/auth/token/", {"username": "kim@alpha.test", "password": PASSWORD},
        content_type="application/json",
    )  # fmt: skip
    assert api.status_code in (401, 403, 429) and "token" not in api.content.decode().lower()

    time.sleep(2.1)
    assert sign_in(browser, PASSWORD).status_code == 302  # the lock has lifted
    assert User.objects.get(email="kim@alpha.test").is_active


def test_a_lock_in_one_agency_is_not_a_lock_in_another(person, agency_a, agency_b, settings):
    browser = host_client(agency_a)
    for _ in range(20):
        sign_in(browser, "wrong")
    assert sign_in(browser, PASSWORD).status_code == 429
    other = host_client(agency_b)  # beta's owner is untouched by alpha's attempts
    response = other.post("/accounts/login/", {"username": "owner@beta.test", "password": PASSWORD})
    assert response.status_code == 302


def test_pages_forbid_inline_script(agency_a, in_agency_a):
    response = host_client(agency_a).get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in policy
    docs = host_client(agency_a).get("/api/v1/docs/").content.decode()
    assert "<script>" not in docs.replace(" ", "")

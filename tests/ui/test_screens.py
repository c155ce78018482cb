"""The report screens fit a phone, label every field, and are photographed for the README."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import DESKTOP, PHONE, horizontal_overflow, labelless_fields, shoot, sign_in

pytestmark = pytest.mark.e2e


class WiderThanAPhone(AssertionError):
    """The page scrolls sideways at 390 CSS pixels."""


def assert_fits_a_phone_and_labels_its_fields(page: Page) -> None:
    assert labelless_fields(page) == []
    page.set_viewport_size(PHONE)
    overflow = horizontal_overflow(page)
    if overflow:
        raise WiderThanAPhone(f"{page.url} is {overflow} px wider than a phone's screen")


def test_the_agency_overview_fits_a_phone_and_labels_its_fields(page, reports):
    sign_in(page, reports.manager_email)
    page.goto("/reports/")
    expect(page.get_by_role("link", name=reports.ours.name)).to_be_visible()
    expect(page.get_by_role("link", name=reports.other.name)).to_be_visible()
    shoot(page, "agency-overview")
    assert_fits_a_phone_and_labels_its_fields(page)


def test_a_client_dashboard_fits_a_phone_and_labels_its_fields(page, reports):
    sign_in(page, reports.manager_email)
    page.goto(f"/reports/clients/{reports.ours.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(reports.ours.name)
    expect(page.locator("svg.chart")).to_have_count(4)
    shoot(page, "client-dashboard")
    assert_fits_a_phone_and_labels_its_fields(page)


def test_the_inbox_and_a_conversation_fit_a_phone_and_label_their_fields(page, reports):
    sign_in(page, reports.manager_email)
    page.goto("/inbox/?status=all")
    links = page.eval_on_selector_all("a[href^='/inbox/']", "links => links.map(a => a.href)")
    conversations = [link for link in links if re.search(r"/inbox/\d+/$", link)]
    assert conversations, links
    shoot(page, "inbox")
    assert_fits_a_phone_and_labels_its_fields(page)

    page.set_viewport_size(DESKTOP)
    page.goto(conversations[0])
    expect(page.get_by_role("heading", name=re.compile("Acknowledge", re.I)).first).to_be_visible()
    shoot(page, "conversation")
    assert_fits_a_phone_and_labels_its_fields(page)

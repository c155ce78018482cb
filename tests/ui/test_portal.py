"""A client's user signs in to the portal and sees their own client's report, and no other."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shoot, sign_in

pytestmark = pytest.mark.e2e


def test_a_client_viewer_sees_only_their_client_and_a_404_for_another(page, reports):
    page.goto("/reports/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/reports/$"))
    sign_in(page, reports.viewer_email)

    expect(page).to_have_url(re.compile(r"/reports/$"))
    clients = page.locator("main table tbody tr")
    expect(clients).to_have_count(1)
    expect(clients.get_by_role("link", name=reports.ours.name)).to_be_visible()
    expect(page.get_by_text(reports.other.name)).to_have_count(0)

    clients.get_by_role("link", name=reports.ours.name).click()
    expect(page).to_have_url(re.compile(rf"/reports/clients/{reports.ours.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(reports.ours.name)
    expect(page.locator("svg.chart")).to_have_count(4)
    expect(page.locator("svg.chart rect").first).to_be_visible()  # charts with data in them
    shoot(page, "portal-dashboard")

    response = page.goto(f"/reports/clients/{reports.other.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="We can't find that page")).to_be_visible()
    expect(page.get_by_role("link", name="Go to your inbox")).to_be_visible()
    assert reports.other.name not in page.content()

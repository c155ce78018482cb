"""The portal speaks to the client: a client user going through its pages meets no wording
meant for the agency ("Slipping", "On track") and no staff e-mail address."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.listening.models import Mention

from .conftest import sign_in

pytestmark = pytest.mark.e2e

INTERNAL = ("Slipping", "On track", "down from", "Attention")


def test_a_client_user_meets_no_internal_wording_nor_staff_email(page, reports, committed):
    with committed():
        acknowledged = Mention.objects.filter(
            client=reports.ours, acknowledged_at__isnull=False
        ).first()
    sign_in(page, reports.viewer_email)
    seen = {}
    for path in (
        "/reports/",
        f"/reports/clients/{reports.ours.pk}/",
        "/inbox/",
        f"/inbox/{acknowledged.pk}/",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        seen[path] = page.locator("main").inner_text()
    for path, text in seen.items():
        assert reports.manager_email not in text, path
        assert "@alpha.test" not in text.replace(reports.viewer_email, ""), path
        assert [word for word in INTERNAL if word in text] == [], path
    # Who acknowledged is the agency's team, not a person's address.
    expect(page.get_by_text("by the Alpha Agency team").first).to_be_visible()

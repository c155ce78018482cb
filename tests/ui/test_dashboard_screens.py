"""The new dashboard in a browser, as a client's people see it under their agency's brand: the
cards, the charts with a table to read, and the PDF's first page, photographed for the README
(``docs/screenshots/dashboard.png`` and ``report-page1.png``)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from apps.core.images import logo_checked
from apps.tenants.models import Agency
from apps.tenants.services import agency_set_white_label

from .conftest import PHONE, SCREENSHOTS, horizontal_overflow, sign_in

pytestmark = pytest.mark.e2e
MAX_PNG = 300 * 1024


def a_logo() -> bytes:
    """A small teal badge, as an agency would upload."""
    image = Image.new("RGB", (160, 48), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((2, 2, 46, 46), radius=10, fill="#0f766e")
    draw.text((16, 16), "A", fill="white", font_size=20)
    draw.text((56, 14), "alpha", fill="#0f766e", font_size=20)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def save_small(image: Image.Image, name: str) -> None:
    """A PNG of at most 64 colours (flat UI colours survive; the file stays small)."""
    image.convert("RGB").quantize(colors=64).save(SCREENSHOTS / name, optimize=True)


@pytest.fixture
def white_label(committed, agency_a):
    """Agency A's logo and accent colour, committed for the server, put back afterwards."""
    with committed():
        agency = Agency.objects.get(pk=agency_a.pk)
        agency_set_white_label(agency=agency, accent_colour="#0f766e", logo=logo_checked(a_logo()))
    yield agency
    with committed():
        agency_set_white_label(agency=agency, accent_colour="", remove_logo=True)


def test_the_portal_dashboard_and_the_pdf_are_photographed(page, reports, white_label):
    sign_in(page, reports.viewer_email)
    today = datetime.now(UTC).date()
    period = f"since={today - timedelta(days=13)}&until={today}"  # the 14 days before: compared
    page.goto(f"/reports/clients/{reports.ours.pk}/?{period}")

    header = page.locator("header.topbar")
    expect(header.get_by_role("link", name=white_label.name)).to_be_visible()
    expect(header.locator("img.brand-logo")).to_be_visible()
    mentions = page.locator('[data-kpi="mention_count"]')
    expect(mentions.locator(".kpi-previous")).to_contain_text("Previous period:")
    expect(page.locator("article.kpi")).to_have_count(20)
    expect(page.get_by_role("table", name="Mentions per day")).to_have_count(1)
    assert page.locator("svg.chart rect title").count() >= 14  # each day's bar says its value
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = page.screenshot(full_page=True, animations="disabled")
    save_small(Image.open(io.BytesIO(shot)), "dashboard.png")

    page.set_viewport_size(PHONE)
    assert horizontal_overflow(page) == 0

    with page.expect_download() as download:
        page.get_by_role("link", name="PDF", exact=True).click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    first = pypdfium2.PdfDocument(pdf)[0].render(scale=1.4).to_pil()
    save_small(first, "report-page1.png")

    for name in ("dashboard.png", "report-page1.png"):
        assert (SCREENSHOTS / name).stat().st_size < MAX_PNG, f"{name} is too large for the README"

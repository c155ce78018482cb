"""The PDF as the client receives it: the agency's logo and accent colour, the client's logo,
and the client's language."""

from __future__ import annotations

import io
from datetime import date

import pypdfium2
import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from apps.core.images import logo_checked
from apps.reporting.pdf import report_pdf
from tests.reporting.test_pdf import northwind, pdf_text  # noqa: F401 - the fixture

ORANGE, CYAN = (255, 140, 0), (0, 200, 200)  # no chart or text is drawn in these
WEEK = {"since": date(2026, 10, 5), "until": date(2026, 10, 11)}


def png(colour: tuple[int, int, int], size=(240, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def pixels_near(body: bytes, colour: tuple[int, int, int]) -> int:
    """Pixels of the first page within a small distance of ``colour``."""
    image = pypdfium2.PdfDocument(body)[0].render(scale=1).to_pil().convert("RGB")
    return sum(
        n for n, rgb in image.getcolors(maxcolors=1 << 24)
        if all(abs(a - b) <= 12 for a, b in zip(rgb, colour, strict=True))
    )  # fmt: skip


@pytest.fixture
def white_label(agency_a):
    """The agency's logo and accent colour, put back afterwards (the agency is shared)."""
    agency_a.logo, agency_a.logo_type = logo_checked(png(ORANGE))
    agency_a.accent_colour = "#0f766e"
    yield agency_a
    agency_a.logo, agency_a.logo_type, agency_a.accent_colour = None, "", ""


def test_the_pdf_carries_the_agencys_and_the_clients_logos(northwind, white_label):  # noqa: F811
    plain = report_pdf(client=northwind, **WEEK)
    northwind.logo, northwind.logo_type = logo_checked(png(CYAN))
    northwind.save()

    branded = report_pdf(client=northwind, **WEEK)

    assert pixels_near(plain, CYAN) == 0 and pixels_near(plain, ORANGE) > 1_000  # agency only
    assert pixels_near(branded, CYAN) > 1_000 and pixels_near(branded, ORANGE) > 1_000


def test_a_german_clients_report_is_written_in_german(northwind):  # noqa: F811
    northwind.locale = "de"
    northwind.save()

    text = pdf_text(report_pdf(client=northwind, **WEEK))

    assert "Kundenbericht" in text and "Erwähnungen pro Tag" in text
    assert "Vorperiode" in text and "Seite 1" in text
    assert "5. Okt 2026" in text  # the period, as Germans write dates
    assert "Mention volume by day" not in text and "Previous period" not in text


def test_an_english_client_keeps_english(northwind):  # noqa: F811
    text = pdf_text(report_pdf(client=northwind, **WEEK))
    assert "Mention volume by day" in text and "Erwähnungen" not in text


@pytest.mark.parametrize(
    "data, error",
    [
        (b"<svg onload=alert(1)>", "not a PNG or JPEG"),
        (png(CYAN, size=(3000, 10)), "at most 2000 pixels"),
        (b"\x89PNG" + b"0" * 300_000, "at most 256 KB"),
    ],
)
def test_a_logo_must_be_a_small_png_or_jpeg(data, error):
    with pytest.raises(ValidationError, match=error):
        logo_checked(data)

"""A client's report for a period as a PDF (SPEC §6): headline figures beside the previous
period's, charts and tables, drawn with reportlab alone (built-in fonts, no files, no network)."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from xml.sax.saxutils import escape

from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from apps.clients.models import Client
from apps.core.formatting import day, minutes, number, percent

from .kpis import count, headline_rows, times
from .pdf_charts import (
    ACCENT,
    INK,
    MUTED,
    RULE,
    WIDTH,
    funnel_chart,
    sentiment_chart,
    titled,
    volume_chart,
)
from .selectors import client_report, report_for

MAX_TEXT = 80  # characters of user text (handles, terms, e-mails) shown in a table cell

EN_DASH = "\u2013"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# --- formatting ----------------------------------------------------------------------------------


def safe_text(value: object, limit: int = MAX_TEXT) -> str:
    """User text for Paragraph markup: control characters dropped, shortened, XML-escaped, so
    ``<b>`` or ``<script>`` are shown as typed instead of being read as markup."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", str(value)))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return escape(text)


def period_text(since: str | date, until: str | date) -> str:
    return f"{day(since)} {EN_DASH} {day(until)}"


def current_agency():
    """The current agency's row; ``schema_context`` (beat tasks) leaves no agency on the
    connection's tenant, so it is then read by schema."""
    from apps.tenants.models import Agency

    tenant = connection.tenant
    if isinstance(tenant, Agency) and tenant.pk:
        return tenant
    return Agency.objects.filter(schema_name=connection.schema_name).first()


def agency_name() -> str:
    """The current agency's name (empty outside an agency)."""
    agency = current_agency()
    return agency.name if agency else ""


def _logo(data: bytes | memoryview | None, *, height: float, max_width: float):
    """A logo at ``height`` (narrower when it would be wider than ``max_width``), or None."""
    if not data:
        return None
    image = ImageReader(io.BytesIO(bytes(data)))
    width, tall = image.getSize()
    scale = min(height / tall, max_width / width)
    return Image(io.BytesIO(bytes(data)), width=width * scale, height=tall * scale)


def _letterhead(agency, client: Client) -> Table | None:
    """The agency's logo on the left and the client's on the right (white label), if any."""
    left = _logo(agency.logo if agency else None, height=14 * mm, max_width=WIDTH * 0.4)
    right = _logo(client.logo, height=14 * mm, max_width=WIDTH * 0.4)
    if left is None and right is None:
        return None
    table = Table([[left or "", right or ""]], colWidths=[WIDTH / 2, WIDTH / 2], hAlign="LEFT")
    table.setStyle(TableStyle([("ALIGN", (0, 0), (0, 0), "LEFT"),
                               ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm)]))  # fmt: skip
    return table


# --- the document --------------------------------------------------------------------------------


class _Styles:
    def __init__(self) -> None:
        base = getSampleStyleSheet()
        self.title = ParagraphStyle("title", parent=base["Title"], alignment=0, textColor=INK,
                                    fontSize=22, leading=26, spaceAfter=2 * mm)  # fmt: skip
        self.kicker = ParagraphStyle("kicker", parent=base["Normal"], textColor=MUTED, fontSize=9)
        self.h2 = ParagraphStyle("h2", parent=base["Heading2"], textColor=INK, fontSize=12,
                                 spaceBefore=5 * mm, spaceAfter=2 * mm)  # fmt: skip
        self.body = ParagraphStyle("body", parent=base["Normal"], textColor=INK, fontSize=9,
                                   leading=11)  # fmt: skip
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=8, leading=10)
        self.number = ParagraphStyle("number", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", parent=self.cell, fontName="Helvetica-Bold")
        self.head_number = ParagraphStyle("head_number", parent=self.head, alignment=TA_RIGHT)


def _table(
    styles: _Styles, header: list[str], rows: Iterable[list[str]], widths: list[float]
) -> Table:
    """A table whose first column is text and the others numbers; every cell is already markup
    (user text must have gone through ``safe_text``)."""
    data = [[Paragraph(h, styles.head if i == 0 else styles.head_number)
             for i, h in enumerate(header)]]  # fmt: skip
    data += [[Paragraph(c, styles.cell if i == 0 else styles.number) for i, c in enumerate(row)]
             for row in rows]  # fmt: skip
    if len(data) == 1:
        nothing = Paragraph(_("Nothing in this period."), styles.cell)
        data.append([nothing] + [""] * (len(header) - 1))
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle([
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ])
    )  # fmt: skip
    return table


def _comparison(styles: _Styles, comparison: dict) -> KeepTogether:
    """People new in the period, acknowledged or not, and how many came back (positively)."""
    rows = [
        [label, count(group["people"]), percent(group["return_rate"]),
         percent(group["positive_return_rate"])]
        for label, group in (("Acknowledged", comparison["acknowledged"]),
                             (_("Not acknowledged"), comparison["not_acknowledged"]))
    ]  # fmt: skip
    rows.append(
        [_("Lift"), "", times(comparison["return_lift"]), times(comparison["positive_return_lift"])]
    )
    return KeepTogether([
        Paragraph(_("What acknowledging changes"), styles.h2),
        Paragraph(
            _(
                "People whose first mention fell in this period, by whether it was "
                "acknowledged: how many spoke of the brand again of their own accord, and how "
                "many positively."
            ),
            styles.body,
        ),
        Spacer(1, 1 * mm),
        _table(styles,
               [_("First mention"), _("People"), _("Came back"), _("Came back positive")],
               rows, [WIDTH * 0.4, WIDTH * 0.2, WIDTH * 0.2, WIDTH * 0.2]),
    ])  # fmt: skip


def _side_by_side(left, right) -> Table:
    table = Table([[left, right]], colWidths=[WIDTH / 2, WIDTH / 2], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
    return table


def report_pdf_render(*, client: Client, report: dict) -> bytes:
    """The PDF of a report already computed by ``client_report``, in the client's language,
    with the agency's logo and accent colour and the client's logo."""
    with translation.override(client.locale or "en"):
        return _render(client, report)


def _render(client: Client, report: dict) -> bytes:
    styles = _Styles()
    white_label = current_agency()
    agency = white_label.name if white_label else ""
    accent = ACCENT
    if white_label and white_label.accent_colour:
        accent = colors.HexColor(white_label.accent_colour)
    styles.title.textColor = accent
    period = period_text(report["since"], report["until"])
    previous = report["previous"]
    story: list = [
        Paragraph(_("%(agency)s · client report") % {"agency": safe_text(agency)}, styles.kicker),
        Paragraph(safe_text(client.name, 200), styles.title),
        Paragraph(
            _("<b>%(period)s</b> (days in %(zone)s), compared with %(previous)s")
            % {
                "period": period,
                "zone": safe_text(report["timezone"]),
                "previous": period_text(previous["since"], previous["until"]),
            },
            styles.body,
        ),
        Spacer(1, 3 * mm),
    ]
    if letterhead := _letterhead(white_label, client):
        story.insert(0, letterhead)

    story.append(
        _table(
            styles,
            [_("Figure"), _("This period"), _("Previous period"), _("Change")],
            ([label, now, before, change] for label, now, before, change in headline_rows(report)),
            [WIDTH * 0.46, WIDTH * 0.18, WIDTH * 0.18, WIDTH * 0.18],
        )
    )

    story.append(Spacer(1, 4 * mm))
    volume = volume_chart(report["mention_volume"]["by_day"], accent)
    story.append(titled(_("Mention volume by day"), volume))
    story.append(
        _side_by_side(
            titled(_("Sentiment"), sentiment_chart(report["sentiment"], previous["sentiment"])),
            titled(_("Acknowledgement → advocacy"), funnel_chart(report["advocacy_funnel"])),
        )
    )
    story.append(_comparison(styles, report["advocacy_comparison"]))

    share = report["share_of_voice"]
    voice_rows = [[_("Our brand"), count(share["brand"])]]
    voice_rows += [[safe_text(name), count(n)] for name, n in share["competitors"].items()]
    channel_rows = [
        [safe_text(row["name"]), count(row["count"])]
        for row in report["mention_volume"]["by_channel"]
    ]
    half = [WIDTH * 0.34, WIDTH * 0.14]
    story.append(CondPageBreak(50 * mm))
    story.append(
        _side_by_side(
            [Paragraph(_("Share of voice: %(share)s") % {"share": percent(share["share"])},
                       styles.h2),
             _table(styles, [_("Who"), _("Mentions")], voice_rows, half)],
            [Paragraph(_("Mentions by channel"), styles.h2),
             _table(styles, [_("Channel"), _("Mentions")], channel_rows, half)],
        )
    )  # fmt: skip

    authors = [
        [safe_text(a["handle"]), number(a["influence"]), count(a["mentions"])]
        for a in report["top_authors"]
    ]  # fmt: skip
    story.append(
        KeepTogether([
            Paragraph(_("Top authors by influence"), styles.h2),
            _table(styles, [_("Author"), _("Influence"), _("Mentions")], authors,
                   [WIDTH * 0.6, WIDTH * 0.2, WIDTH * 0.2]),
        ])
    )  # fmt: skip

    terms = [[safe_text(t["term"]), count(t["count"])] for t in report["top_terms"]]
    hashtags = [[safe_text(h["hashtag"]), count(h["count"])] for h in report["top_hashtags"]]
    story.append(CondPageBreak(50 * mm))
    story.append(Spacer(1, 2 * mm))
    story.append(
        _side_by_side(
            [Paragraph(_("Top terms"), styles.h2),
             _table(styles, [_("Term"), _("Uses")], terms, half)],
            [Paragraph(_("Top hashtags"), styles.h2),
             _table(styles, [_("Hashtag"), _("Uses")], hashtags, half)],
        )
    )  # fmt: skip

    members = [
        [safe_text(m.get("email") or m["name"]), count(m["replies"]), count(m["in_hours"]),
         count(m["off_hours"]), minutes(m["median_minutes"]), minutes(m["p90_minutes"])]
        for m in report["members"]
    ]  # fmt: skip
    if members:  # client users see them only where the agency names its staff
        story.append(
            KeepTogether([
                Paragraph(_("Acknowledgements by member"), styles.h2),
                _table(styles,
                       [_("Member"), _("Acknowledged"), _("In hours"), _("Off hours"),
                        _("Median"), _("90th pct")],
                       members, [WIDTH * 0.31, WIDTH * 0.15] + [WIDTH * 0.135] * 4),
            ])
        )  # fmt: skip

    footer = f"{agency} · {client.name} · {period}"

    def decorate(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(18 * mm, 10 * mm, footer[:140])  # drawn as text, never parsed
        page = _("Page %(page)s") % {"page": document.page}
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, page)
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{client.name} — {period}",
        author=agency,
        creator="Rapport",
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def report_pdf(*, client: Client, since: date, until: date, viewer=None) -> bytes:
    """The client's report for local days ``since``..``until`` (both included) as a PDF, as
    ``viewer`` may see it (``None``: as the client's own people do)."""
    report = client_report(client=client, since=since, until=until)
    return report_pdf_render(client=client, report=report_for(report, viewer=viewer))

"""Report e-mails in the agency's name and look: plain text and HTML (the agency's name, logo
and accent colour), the PDF attached, from the agency's sender name with its reply-to, in the
client's language. Shared by the monthly report and the schedules."""

from __future__ import annotations

from datetime import date
from email.mime.image import MIMEImage
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from apps.clients.models import Client

from .pdf import current_agency, headline_rows, period_text, report_pdf_render

DEFAULT_ACCENT = "#2563eb"  # Rapport's blue, as on the PDF
LOGO_CID = "agency-logo"
WEEKLY, MONTHLY = "weekly", "monthly"


class ReportEmail(EmailMultiAlternatives):
    """An e-mail whose HTML shows images carried in the message itself (``cid:``): the text
    and HTML alternatives and those images go in one multipart/related part, attachments after
    it."""

    def __init__(self, *args, inline_images: list[tuple[str, bytes, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.inline_images = list(inline_images)  # (content id, bytes, MIME type)

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        if not self.inline_images:
            return msg
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding)
        related.attach(msg)
        for cid, data, mimetype in self.inline_images:
            image = MIMEImage(data, _subtype=mimetype.split("/", 1)[1])
            image.add_header("Content-ID", f"<{cid}>")
            image.add_header("Content-Disposition", "inline")
            related.attach(image)
        return related


def sender(agency) -> tuple[str, list[str]]:
    """``From`` (the agency's sender name, or its name, with Rapport's address, so the mail
    still passes the platform's SPF and DKIM) and ``Reply-To`` (the agency's, if set)."""
    default_name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = (agency.report_sender_name or agency.name) if agency else default_name
    reply_to = [agency.report_reply_to] if agency and agency.report_reply_to else []
    return formataddr((name, address)), reply_to


def _titles(frequency: str, since: date, until: date) -> tuple[str, str, str]:
    """The subject's period and the two column headings, in the active language."""
    dates = period_text(since, until)
    if frequency == MONTHLY:
        return formats.date_format(since, "F Y"), _("This month"), _("Month before")
    if frequency == WEEKLY:
        return dates, _("This week"), _("Week before")
    return dates, _("This period"), _("Previous period")


def _text(context: dict) -> str:
    lines = [_("Hello,"), ""]
    if context["preview"]:
        lines += [_("This is a preview sent only to you: the recipients get theirs when the "
                    "period is over."), ""]  # fmt: skip
    lines += [
        _("Here is %(client)s's report for %(dates)s, from %(agency)s.")
        % {"client": context["client_name"], "dates": context["dates"],
           "agency": context["agency_name"]},
        "",
    ]  # fmt: skip
    rows = [("", context["now_heading"], context["before_heading"])]
    rows += [(label, now, before) for label, now, before, _change in context["rows"]]
    wide = [max(len(row[column]) for row in rows) for column in range(3)]  # columns line up
    lines += [f"{label:<{wide[0]}}  {now:>{wide[1]}}  {before:>{wide[2]}}".rstrip()
              for label, now, before in rows]  # fmt: skip
    lines += ["", _("The full report, with charts, top authors and terms, is attached as a PDF.")]
    return "\n".join(lines)


def report_email(
    *,
    client: Client,
    report: dict,
    frequency: str,
    recipients: list[str],
    preview: bool = False,
) -> ReportEmail:
    """The e-mail carrying ``report`` (as ``client_report``/``report_for`` give it) for the
    client's period ``report['since']``..``report['until']``; ``frequency`` names the period
    (weekly, monthly or custom). ``preview``: marked as a preview for the staff member."""
    since, until = (date.fromisoformat(str(report[key])) for key in ("since", "until"))
    agency = current_agency()
    agency_name = agency.name if agency else ""
    with translation.override(client.locale or "en"):
        title, now_heading, before_heading = _titles(frequency, since, until)
        if frequency == WEEKLY:
            subject = _("%(client)s: your weekly report, %(period)s")
        else:
            subject = _("%(client)s: your report for %(period)s")
        subject = subject % {"client": client.name, "period": title}
        if preview:
            subject = _("[Preview] %(subject)s") % {"subject": subject}
        context = {
            "agency_name": agency_name,
            "client_name": client.name,
            "dates": period_text(since, until),
            "rows": headline_rows(report),
            "now_heading": now_heading,
            "before_heading": before_heading,
            "preview": preview,
            "accent": (agency.accent_colour if agency else "") or DEFAULT_ACCENT,
            "logo_cid": LOGO_CID if agency and agency.logo_type else "",
            "language": translation.get_language(),
        }
        text = _text(context)
        html = render_to_string("reporting/report_email.html", context)
        pdf = report_pdf_render(client=client, report=report)
    from_email, reply_to = sender(agency)
    inline = [(LOGO_CID, bytes(agency.logo), agency.logo_type)] if context["logo_cid"] else []
    message = ReportEmail(
        subject=subject, body=text, from_email=from_email, to=recipients, reply_to=reply_to,
        inline_images=inline,
    )  # fmt: skip
    message.attach_alternative(html, "text/html")
    name = f"{since:%Y-%m}" if frequency == MONTHLY else f"{since:%Y-%m-%d}-{until:%Y-%m-%d}"
    message.attach(f"{client.slug}-report-{name}.pdf", pdf, "application/pdf")
    return message

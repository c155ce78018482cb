"""The report's headline figures (KPIs) in one list, read the same way by the dashboard's cards,
the PDF's table, the e-mail and the figures CSV: where each is in the report, how it is shown,
which way is better and which inbox filter lists the mentions behind it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from apps.core.formatting import localised, minutes, number, percent

EM_DASH, MINUS, TIMES = "\u2014", "\u2212", "\u00d7"
ALL = {"status": "all"}
ANSWERED = {"status": "acknowledged"}


@dataclass(frozen=True)
class Kpi:
    key: str  # the figure's path in the report (``sentiment.positive``): also its CSV name
    label: str  # an English msgid, translated where shown
    kind: str  # count | percent | minutes | money | times
    group: str
    better: str | None = None  # "more", "less" or None (neither is better: volume)
    drill: dict | None = None  # inbox filters listing the mentions behind it (with the period)


VOLUME, SPEED, OUTCOME = N_("Volume and sentiment"), N_("Responsiveness"), N_("Outcomes")
KPIS: tuple[Kpi, ...] = (
    Kpi("mention_count", N_("Mentions"), "count", VOLUME, None, ALL),
    Kpi("sentiment.positive", N_("Positive mentions"), "count", VOLUME, "more",
        {"status": "all", "sentiment": "positive"}),
    Kpi("sentiment.neutral", N_("Neutral mentions"), "count", VOLUME, None,
        {"status": "all", "sentiment": "neutral"}),
    Kpi("sentiment.negative", N_("Negative mentions"), "count", VOLUME, "less",
        {"status": "all", "sentiment": "negative"}),
    Kpi("share_of_voice.share", N_("Share of voice"), "percent", VOLUME, "more", ALL),
    Kpi("needing_acknowledgement", N_("Needing acknowledgement"), "count", SPEED, None, ALL),
    Kpi("acknowledged", N_("Acknowledged"), "count", SPEED, "more", ANSWERED),
    Kpi("acknowledgement_rate", N_("Acknowledgement rate"), "percent", SPEED, "more", ANSWERED),
    Kpi("sla_attainment", N_("SLA attainment"), "percent", SPEED, "more",
        {"status": "all", "ordering": "sla_due_at"}),
    Kpi("median_time_to_acknowledge_minutes", N_("Median time to acknowledge (business)"),
        "minutes", SPEED, "less", ANSWERED),
    Kpi("p90_time_to_acknowledge_minutes",
        N_("90th percentile time to acknowledge (business)"), "minutes", SPEED, "less", ANSWERED),
    Kpi("median_time_to_acknowledge_wall_clock_minutes",
        N_("Median time to acknowledge (wall clock)"), "minutes", SPEED, "less", ANSWERED),
    Kpi("p90_time_to_acknowledge_wall_clock_minutes",
        N_("90th percentile time to acknowledge (wall clock)"), "minutes", SPEED, "less",
        ANSWERED),
    Kpi("median_next_response_minutes", N_("Median time to the next response (business)"),
        "minutes", SPEED, "less", ANSWERED),
    Kpi("p90_next_response_minutes", N_("90th percentile time to the next response (business)"),
        "minutes", SPEED, "less", ANSWERED),
    Kpi("median_next_response_wall_clock_minutes",
        N_("Median time to the next response (wall clock)"), "minutes", SPEED, "less", ANSWERED),
    Kpi("p90_next_response_wall_clock_minutes",
        N_("90th percentile time to the next response (wall clock)"), "minutes", SPEED, "less",
        ANSWERED),
    Kpi("advocates_gained", N_("Advocates gained"), "count", OUTCOME, "more"),
    Kpi("advocacy_lift", N_("Advocacy lift (acknowledged vs not)"), "times", OUTCOME, "more"),
    Kpi("crm_value_of_acknowledged_customers", N_("Value of the customers acknowledged"),
        "money", OUTCOME, "more", {"status": "acknowledged", "customer": "on"}),
)  # fmt: skip


def figure(report: dict, key: str):
    """The figure at ``key`` (``share_of_voice.share``) in a report or its ``previous``."""
    value = report
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def count(value: int | float | None) -> str:
    return EM_DASH if value is None else localised(f"{value:,.0f}")


def times(value: float | None) -> str:
    """A lift: ``2.5`` followed by a multiplication sign."""
    return EM_DASH if value is None else f"{number(value)}{TIMES}"


def money(value: float | None) -> str:
    return EM_DASH if value is None else localised(f"{value:,.2f}")


SHOW = {"count": count, "percent": percent, "minutes": minutes, "money": money, "times": times}


def delta_text(current, previous, kind: str) -> str:
    """The change as a signed amount (``+5``, ``-3 pts`` with a minus sign, ``no change``);
    empty without both figures."""
    if current is None or previous is None:
        return ""
    delta = current - previous
    if kind == "percent":
        text = _("%(points)s pts") % {"points": f"{round(abs(delta) * 100):.0f}"}
    elif kind == "minutes":
        text = minutes(abs(delta))
    elif kind == "times":
        text = number(abs(delta)) + TIMES
    else:
        text = SHOW[kind](abs(delta))
    if text.startswith("0 ") or text in ("0", f"0{TIMES}", money(0)):
        return _("no change")
    return ("+" if delta > 0 else MINUS) + text


def headline_rows(report: dict) -> list[tuple[str, str, str, str]]:
    """(figure, this period, previous period, change) of every KPI: the PDF's and the monthly
    e-mail's table."""
    rows = []
    for kpi in KPIS:
        now, before = figure(report, kpi.key), figure(report["previous"], kpi.key)
        show = SHOW[kpi.kind]
        rows.append((_(kpi.label), show(now), show(before), delta_text(now, before, kpi.kind)))
    return rows


def change(kpi: Kpi, current, previous) -> dict:
    """How the figure moved, for a card: ``arrow``, ``text`` (a percentage, or points for a
    share), ``tone`` (good, bad or neutral), ``verdict`` (better, worse or empty: not by colour
    alone) and ``spoken`` (all of it in words)."""
    if current is None or previous is None:
        return {
            "arrow": "",
            "text": "",
            "tone": "neutral",
            "verdict": "",
            "spoken": "No comparison.",
        }
    delta = current - previous
    if kpi.kind == "percent":
        amount = round(abs(delta) * 100)
        text = f"{amount} pts"
    elif previous:
        amount = round(abs(delta) / abs(previous) * 100)
        text = f"{amount}%"
    else:
        amount = abs(delta)
        text = "new" if delta else "0%"
    if not amount:
        return {"arrow": "→", "text": "no change", "tone": "neutral", "verdict": "",
                "spoken": "No change."}  # fmt: skip
    rising = delta > 0
    tone = "neutral"
    if kpi.better:
        tone = "good" if rising == (kpi.better == "more") else "bad"
    verdict = {"good": "better", "bad": "worse", "neutral": ""}[tone]
    was = SHOW[kpi.kind](previous)
    spoken = f"{'Up' if rising else 'Down'} {text} from {was}{' — ' + verdict if verdict else ''}."
    return {"arrow": "▲" if rising else "▼", "text": text, "tone": tone, "verdict": verdict,
            "spoken": spoken}  # fmt: skip


def inbox_link(filters: dict, *, client_id: int, since, until) -> str:
    """The inbox listing the client's mentions of the period narrowed by ``filters``."""
    query = {"client": client_id, "since": str(since), "until": str(until), **filters}
    return f"/inbox/?{urlencode(query)}"


def day_link(report: dict, day: str, **filters: str) -> str:
    """The inbox listing the client's mentions of one local ``day`` (``YYYY-MM-DD``)."""
    return inbox_link({"status": "all", **filters}, client_id=report["client"], since=day,
                      until=day)  # fmt: skip


def kpi_cards(report: dict) -> list[dict]:
    """The dashboard's cards in groups: ``[{"title", "cards": [...]}]``, each card with its
    label, value and previous value as shown, the change and the inbox link behind it."""
    groups: dict[str, list[dict]] = {}
    period = {"client_id": report["client"], "since": report["since"], "until": report["until"]}
    for kpi in KPIS:
        now, before = figure(report, kpi.key), figure(report["previous"], kpi.key)
        show = SHOW[kpi.kind]
        groups.setdefault(kpi.group, []).append({
            "key": kpi.key, "label": _(kpi.label), "value": show(now), "previous": show(before),
            "change": change(kpi, now, before),
            "link": inbox_link(kpi.drill, **period) if kpi.drill else "",
        })  # fmt: skip
    return [{"title": _(title), "cards": cards} for title, cards in groups.items()]


def csv_rows(report: dict) -> list[tuple]:
    """(figure, label, this period, previous period, change) per KPI, as plain numbers (shares
    0..1, minutes, money): the figures CSV."""
    rows = []
    for kpi in KPIS:
        now, before = figure(report, kpi.key), figure(report["previous"], kpi.key)
        delta = None if now is None or before is None else round(now - before, 4)
        rows.append((kpi.key, kpi.label, *("" if v is None else v for v in (now, before, delta))))
    return rows


def linked_rows(report: dict, rows: list[dict], by: str) -> list[dict]:
    """Per-channel or per-team rows (``by``: the inbox filter, ``channel`` or ``team``) with
    ``link`` (all their mentions of the period) and ``negative_link``."""
    period = {"client_id": report["client"], "since": report["since"], "until": report["until"]}
    linked = []
    for row in rows:
        narrow = {by: row[by]} if row[by] is not None else {}
        linked.append({
            **row,
            "link": inbox_link({"status": "all", **narrow}, **period) if narrow else "",
            "negative_link": inbox_link({"status": "all", "sentiment": "negative", **narrow},
                                        **period),
        })  # fmt: skip
    return linked

"""Business time for SLAs: how much open time lies between two moments, and when a target ends.

A policy's ``BusinessHours`` opens once per local calendar day, from a wall-clock start to a
wall-clock end in its IANA time zone; weekdays without hours, explicit holiday dates and a
country's public holidays are closed. Each open day becomes one interval of real (UTC) instants,
so a local day may be 23 or 25 hours long across a DST change, and every figure is real elapsed
minutes. Pure functions, no ORM: the SLA services and reports call them with the policy's hours.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as public_holidays

__all__ = [
    "ALWAYS_OPEN",
    "BusinessHours",
    "add_business_minutes",
    "add_business_minutes_many",
    "business_minutes_between",
]

MIDNIGHT = time(0, 0)
ONE_DAY = timedelta(days=1)
# How far ``add_business_minutes`` looks for open time before deciding the hours never open.
SEARCH_LIMIT = timedelta(days=3 * 366)


def _parse_time(value: str | time) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)


@lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    """Public holiday dates for one country (and subdivision) and year, looked up once."""
    try:
        found = public_holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    except NotImplementedError as error:
        raise ValueError(
            f"Unknown holiday country/subdivision {country!r}/{subdivision!r}: {error}"
        ) from error
    return frozenset(found)


@dataclass(frozen=True)
class BusinessHours:
    """When a client's SLA clock runs.

    ``opening`` maps a weekday (0 = Monday … 6 = Sunday) to local ``(start, end)`` times; an end
    of ``00:00`` means midnight at the end of that day, so ``(00:00, 00:00)`` is the whole day.
    Weekdays absent from ``opening`` are closed, as are ``holidays`` and, when
    ``holiday_country`` is set, that country's (and subdivision's) public holidays.
    """

    timezone: str
    opening: dict[int, tuple[time, time]]
    holidays: frozenset[date] = frozenset()
    holiday_country: str = ""
    holiday_subdivision: str = ""
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"Unknown time zone {self.timezone!r}") from error
        opening = {}
        for weekday, (start, end) in self.opening.items():
            if weekday not in range(7):
                raise ValueError(f"Weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}")
            start, end = _parse_time(start), _parse_time(end)
            if end != MIDNIGHT and end <= start:
                raise ValueError(
                    f"Opening hours for weekday {weekday} must end after they start "
                    f"(or at 00:00 for midnight): {start:%H:%M}-{end:%H:%M}"
                )
            opening[weekday] = (start, end)
        object.__setattr__(self, "opening", opening)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "holiday_country", self.holiday_country.upper())
        object.__setattr__(self, "holiday_subdivision", self.holiday_subdivision.upper())

    def __hash__(self) -> int:
        return hash(
            (
                self.timezone,
                tuple(sorted(self.opening.items())),
                self.holidays,
                self.holiday_country,
                self.holiday_subdivision,
            )
        )

    @classmethod
    def weekdays(
        cls,
        start: str | time = "09:00",
        end: str | time = "18:00",
        timezone: str = "Europe/London",
        *,
        holidays: Iterable[date] = (),
        holiday_country: str = "",
        holiday_subdivision: str = "",
    ) -> BusinessHours:
        """Open Monday to Friday from ``start`` to ``end`` local time."""
        hours = (_parse_time(start), _parse_time(end))
        return cls(
            timezone=timezone,
            opening=dict.fromkeys(range(5), hours),
            holidays=frozenset(holidays),
            holiday_country=holiday_country,
            holiday_subdivision=holiday_subdivision,
        )

    @classmethod
    def always(
        cls,
        timezone: str = "UTC",
        *,
        holidays: Iterable[date] = (),
        holiday_country: str = "",
        holiday_subdivision: str = "",
    ) -> BusinessHours:
        """Open around the clock every day (holidays, if any, are still closed)."""
        return cls(
            timezone=timezone,
            opening=dict.fromkeys(range(7), (MIDNIGHT, MIDNIGHT)),
            holidays=frozenset(holidays),
            holiday_country=holiday_country,
            holiday_subdivision=holiday_subdivision,
        )

    def is_open_on(self, day: date) -> bool:
        """Whether the local calendar ``day`` has opening hours at all."""
        if day.weekday() not in self.opening or day in self.holidays:
            return False
        if self.holiday_country:
            return day not in _public_holidays(
                self.holiday_country, self.holiday_subdivision, day.year
            )
        return True

    def open_interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC instants between which the local ``day`` is open, or None when closed.

        A wall-clock time skipped by a DST change resolves with the offset before it, a repeated
        one to its first occurrence (``fold=0``), as ``zoneinfo`` does.
        """
        if not self.is_open_on(day):
            return None
        start, end = self.opening[day.weekday()]
        opens = datetime.combine(day, start, tzinfo=self._zone).astimezone(UTC)
        closing_day = day + ONE_DAY if end == MIDNIGHT else day
        closes = datetime.combine(closing_day, end, tzinfo=self._zone).astimezone(UTC)
        return opens, closes

    def is_open_at(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware) falls within opening hours."""
        intervals = self.open_intervals(moment, moment)
        return any(opens <= moment < closes for opens, closes in intervals)

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The UTC open intervals of the local days from ``start``'s to ``end``'s, in order.

        They may reach beyond either bound; callers clip them.
        """
        # One day early and late: where a DST change repeats midnight, an instant's local date
        # can differ from the day whose interval holds it.
        day = start.astimezone(self._zone).date() - ONE_DAY
        last_day = end.astimezone(self._zone).date() + ONE_DAY
        while day <= last_day:
            interval = self.open_interval(day)
            if interval is not None:
                yield interval
            day += ONE_DAY


ALWAYS_OPEN = BusinessHours.always("UTC")


def _check(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {moment.isoformat()}")


def _check_hours(hours: BusinessHours) -> None:
    if not hours.opening:
        raise ValueError("These business hours are never open: no weekday has opening hours")


def business_minutes_between(start: datetime, end: datetime, hours: BusinessHours) -> float:
    """Minutes of open time between ``start`` and ``end`` (0 when ``end`` is not after it)."""
    _check(start, "start")
    _check(end, "end")
    _check_hours(hours)
    if end <= start:
        return 0.0
    total = timedelta()
    for opens, closes in hours.open_intervals(start, end):
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta():
            total += overlap
    return total.total_seconds() / 60


def add_business_minutes(start: datetime, minutes: float, hours: BusinessHours) -> datetime:
    """The UTC moment ``minutes`` of open time after ``start``: the SLA deadline.

    A ``start`` outside opening hours begins counting at the next opening; with zero minutes the
    result is that opening (or ``start`` itself when open).
    """
    _check(start, "start")
    _check_hours(hours)
    if minutes < 0:
        raise ValueError(f"minutes must not be negative, got {minutes!r}")
    start = start.astimezone(UTC)
    remaining = timedelta(minutes=minutes)
    for opens, closes in hours.open_intervals(start, start + SEARCH_LIMIT):
        begin = max(opens, start)
        if begin > closes or (begin == closes and remaining):
            continue
        available = closes - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise ValueError(
        f"Business hours in {hours.timezone} are never open: no open time within "
        f"{SEARCH_LIMIT.days} days after {start.isoformat()} (every open weekday a holiday?)"
    )


def add_business_minutes_many(
    starts: Sequence[datetime], minutes: Sequence[float], hours: BusinessHours
) -> list[datetime]:
    """``add_business_minutes`` for many starts at once, as fast as a lookup each.

    The open intervals covering all of them are laid out once with their running total of open
    minutes; each deadline is then two binary searches. The SLA check uses it for thousands of
    mentions a minute.
    """
    if len(starts) != len(minutes):
        raise ValueError("one target per start")
    if not starts:
        return []
    for moment in starts:
        _check(moment, "start")
    _check_hours(hours)
    if any(m < 0 for m in minutes):
        raise ValueError("minutes must not be negative")
    starts = [moment.astimezone(UTC) for moment in starts]
    first, last = min(starts), max(starts)
    opens: list[datetime] = []
    closes: list[datetime] = []
    before: list[float] = []  # open minutes before each interval, from ``first``'s day
    total = 0.0
    intervals = hours.open_intervals(first, first + SEARCH_LIMIT)
    needed = max(minutes)

    def extend_until(moment: datetime, extra_minutes: float) -> None:
        """Lay out intervals until ``extra_minutes`` of open time lie after ``moment``."""
        nonlocal total
        while not closes or closes[-1] <= moment or total - _position(moment) < extra_minutes:
            try:
                opening, closing = next(intervals)
            except StopIteration:
                raise ValueError(
                    f"Business hours in {hours.timezone} are never open within "
                    f"{SEARCH_LIMIT.days} days after {first.isoformat()}"
                ) from None
            opens.append(opening)
            closes.append(closing)
            before.append(total)
            total += (closing - opening).total_seconds() / 60

    def _position(moment: datetime) -> float:
        """Open minutes from the layout's start up to ``moment``."""
        i = bisect.bisect_right(closes, moment)
        if i == len(closes):
            return total
        return before[i] + max(0.0, (moment - opens[i]).total_seconds() / 60)

    extend_until(last, needed)
    ends = [b + (c - o).total_seconds() / 60 for b, o, c in zip(before, opens, closes, strict=True)]
    deadlines = []
    for start, target in zip(starts, minutes, strict=True):
        # The first interval with open time left at ``start`` (for a zero target, one closing at
        # that very moment will do: the deadline is ``start`` itself, as one at a time).
        search = bisect.bisect_left if target == 0 else bisect.bisect_right
        i = search(closes, start)
        goal = (before[i] + max(0.0, (start - opens[i]).total_seconds() / 60)) + target
        j = bisect.bisect_left(ends, goal, lo=i)
        deadlines.append(opens[j] + timedelta(minutes=goal - before[j]))
    return deadlines

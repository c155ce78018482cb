"""Business time for SLAs: open minutes between moments and deadlines, across DST and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from apps.acknowledgements.business_time import (
    ALWAYS_OPEN,
    BusinessHours,
    add_business_minutes,
    add_business_minutes_many,
    business_minutes_between,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")

UK_OFFICE = BusinessHours.weekdays("09:00", "18:00", "Europe/London")
UK_OFFICE_ENGLAND = BusinessHours.weekdays(holiday_country="GB", holiday_subdivision="ENG")
NY_OFFICE = BusinessHours.weekdays(timezone="America/New_York")
NY_OFFICE_US = BusinessHours.weekdays(timezone="America/New_York", holiday_country="US")
BERLIN_OFFICE_BE = BusinessHours.weekdays(
    timezone="Europe/Berlin", holiday_country="DE", holiday_subdivision="BE"
)
LONDON_24X7 = BusinessHours.always("Europe/London")
NEW_YORK_24X7 = BusinessHours.always("America/New_York")
# Open midnight to 06:00 every day: the DST change (01:00 London, 02:00 New York) falls inside.
LONDON_NIGHTS = BusinessHours("Europe/London", dict.fromkeys(range(7), (time(0), time(6))))
NEW_YORK_NIGHTS = BusinessHours("America/New_York", dict.fromkeys(range(7), (time(0), time(6))))
DAY = 9 * 60  # minutes in one 09:00-18:00 day
WEEK = 5 * DAY


def at(zone: ZoneInfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=zone)


def london(*fields: int) -> datetime:
    return at(LONDON, *fields)


def new_york(*fields: int) -> datetime:
    return at(NEW_YORK, *fields)


# ---------------------------------------------------------------- deadlines (add_business_minutes)

DEADLINES = [
    # The acceptance case: 17:55 on Friday, 30-minute target, 9-18 Mon-Fri -> 09:25 on Monday.
    ("friday_1755_plus_30_breaches_monday_0925", UK_OFFICE, london(2026, 11, 20, 17, 55), 30,
     london(2026, 11, 23, 9, 25)),
    ("inside_hours_same_day", UK_OFFICE, london(2026, 11, 23, 10, 0), 90,
     london(2026, 11, 23, 11, 30)),
    ("before_opening_counts_from_opening", UK_OFFICE, london(2026, 11, 23, 7, 0), 30,
     london(2026, 11, 23, 9, 30)),
    ("after_closing_counts_from_next_opening", UK_OFFICE, london(2026, 11, 23, 19, 0), 30,
     london(2026, 11, 24, 9, 30)),
    ("on_sunday_counts_from_monday", UK_OFFICE, london(2026, 11, 22, 15, 0), 30,
     london(2026, 11, 23, 9, 30)),
    ("exactly_at_opening", UK_OFFICE, london(2026, 11, 23, 9, 0), 30,
     london(2026, 11, 23, 9, 30)),
    ("exactly_at_closing_moves_to_next_day", UK_OFFICE, london(2026, 11, 23, 18, 0), 30,
     london(2026, 11, 24, 9, 30)),
    ("target_ending_at_closing_is_closing_time", UK_OFFICE, london(2026, 11, 23, 17, 30), 30,
     london(2026, 11, 23, 18, 0)),
    ("zero_minutes_inside_hours_is_now", UK_OFFICE, london(2026, 11, 23, 10, 0), 0,
     london(2026, 11, 23, 10, 0)),
    ("zero_minutes_on_saturday_is_next_opening", UK_OFFICE, london(2026, 11, 21, 10, 0), 0,
     london(2026, 11, 23, 9, 0)),
    ("fractional_minutes", UK_OFFICE, london(2026, 11, 23, 9, 0), 0.5,
     london(2026, 11, 23, 9, 0, 30)),
    ("three_days_and_ten_minutes", UK_OFFICE, london(2026, 11, 23, 9, 0), 3 * DAY + 10,
     london(2026, 11, 26, 9, 10)),
    ("three_weeks_end_at_friday_closing", UK_OFFICE, london(2026, 11, 2, 9, 0), 3 * WEEK,
     london(2026, 11, 20, 18, 0)),
    ("utc_start_with_new_york_hours", NY_OFFICE, datetime(2026, 11, 23, 13, 0, tzinfo=UTC), 30,
     new_york(2026, 11, 23, 9, 30)),
    # DST: business hours over the change weekend keep local wall-clock opening times.
    ("london_spring_forward_weekend", UK_OFFICE, london(2026, 3, 27, 17, 0), 120,
     london(2026, 3, 30, 10, 0)),
    ("london_fall_back_weekend", UK_OFFICE, london(2026, 10, 23, 17, 0), 120,
     london(2026, 10, 26, 10, 0)),
    ("new_york_spring_forward_weekend", NY_OFFICE, new_york(2026, 3, 6, 17, 0), 120,
     new_york(2026, 3, 9, 10, 0)),
    ("new_york_fall_back_weekend", NY_OFFICE, new_york(2026, 10, 30, 17, 0), 120,
     new_york(2026, 11, 2, 10, 0)),
    # DST: a 24x7 target is real elapsed time, so the wall clock gains or loses an hour.
    ("24x7_day_across_london_spring_forward", LONDON_24X7, london(2026, 3, 28, 12, 0), 24 * 60,
     london(2026, 3, 29, 13, 0)),
    ("24x7_day_across_london_fall_back", LONDON_24X7, london(2026, 10, 24, 12, 0), 24 * 60,
     london(2026, 10, 25, 11, 0)),
    ("24x7_utc_day_across_new_york_fall_back", ALWAYS_OPEN, new_york(2026, 10, 31, 12, 0),
     24 * 60, new_york(2026, 11, 1, 11, 0)),
    ("24x7_new_york_day_across_spring_forward", NEW_YORK_24X7, new_york(2026, 3, 7, 12, 0),
     24 * 60, new_york(2026, 3, 8, 13, 0)),
    # Holidays.
    ("england_christmas_and_boxing_day_substitute_skipped", UK_OFFICE_ENGLAND,
     london(2026, 12, 24, 17, 0), 120, london(2026, 12, 29, 10, 0)),
    ("without_holiday_country_christmas_is_a_working_friday", UK_OFFICE,
     london(2026, 12, 24, 17, 0), 120, london(2026, 12, 25, 10, 0)),
    ("start_on_christmas_day_counts_from_tuesday", UK_OFFICE_ENGLAND,
     london(2026, 12, 25, 12, 0), 30, london(2026, 12, 29, 9, 30)),
    ("explicit_holiday_date_skipped",
     BusinessHours.weekdays(holidays={date(2026, 11, 23)}), london(2026, 11, 20, 17, 55), 30,
     london(2026, 11, 24, 9, 25)),
    ("us_thanksgiving_skipped", NY_OFFICE_US, new_york(2026, 11, 25, 17, 30), 60,
     new_york(2026, 11, 27, 9, 30)),
    ("berlin_good_friday_and_easter_monday_skipped", BERLIN_OFFICE_BE,
     at(BERLIN, 2026, 4, 2, 17, 0), 120, at(BERLIN, 2026, 4, 7, 10, 0)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("hours", "start", "minutes", "deadline"),
    [case[1:] for case in DEADLINES],
    ids=[case[0] for case in DEADLINES],
)
def test_add_business_minutes_returns_the_utc_deadline(hours, start, minutes, deadline):
    result = add_business_minutes(start, minutes, hours)

    assert result == deadline
    assert result.tzinfo is UTC


# ------------------------------------------------- elapsed open time (business_minutes_between)

SPANS = [
    ("same_day_inside_hours", UK_OFFICE, london(2026, 11, 23, 10, 0),
     london(2026, 11, 23, 11, 30), 90),
    ("start_before_opening", UK_OFFICE, london(2026, 11, 23, 7, 0),
     london(2026, 11, 23, 10, 0), 60),
    ("overnight_after_closing", UK_OFFICE, london(2026, 11, 23, 18, 30),
     london(2026, 11, 24, 9, 15), 15),
    ("from_sunday", UK_OFFICE, london(2026, 11, 22, 12, 0), london(2026, 11, 23, 9, 45), 45),
    ("weekend_only_is_zero", UK_OFFICE, london(2026, 11, 21, 0, 0), london(2026, 11, 23, 9, 0), 0),
    ("end_before_start_is_zero", UK_OFFICE, london(2026, 11, 23, 12, 0),
     london(2026, 11, 23, 10, 0), 0),
    ("end_equal_start_is_zero", UK_OFFICE, london(2026, 11, 23, 12, 0),
     london(2026, 11, 23, 12, 0), 0),
    ("friday_1755_to_monday_0925_is_30", UK_OFFICE, london(2026, 11, 20, 17, 55),
     london(2026, 11, 23, 9, 25), 30),
    ("one_week", UK_OFFICE, london(2026, 11, 23), london(2026, 11, 30), WEEK),
    ("four_weeks_across_fall_back", UK_OFFICE, london(2026, 10, 5), london(2026, 11, 2), 4 * WEEK),
    ("four_weeks_across_spring_forward", NY_OFFICE, new_york(2026, 2, 23), new_york(2026, 3, 23),
     4 * WEEK),
    ("year_2026_in_england_skips_eight_weekday_bank_holidays", UK_OFFICE_ENGLAND,
     london(2026, 1, 1), london(2027, 1, 1), (261 - 8) * DAY),
    ("utc_bounds_with_new_york_hours", NY_OFFICE, datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
     datetime(2026, 11, 23, 15, 0, tzinfo=UTC), 60),
    # DST: a local 24x7 day lasts 23 or 25 real hours; ALWAYS_OPEN measures the same instants.
    ("24x7_london_spring_forward_day_is_23_hours", LONDON_24X7, london(2026, 3, 29),
     london(2026, 3, 30), 23 * 60),
    ("24x7_london_fall_back_day_is_25_hours", LONDON_24X7, london(2026, 10, 25),
     london(2026, 10, 26), 25 * 60),
    ("24x7_new_york_spring_forward_day_is_23_hours", NEW_YORK_24X7, new_york(2026, 3, 8),
     new_york(2026, 3, 9), 23 * 60),
    ("24x7_new_york_fall_back_day_is_25_hours", NEW_YORK_24X7, new_york(2026, 11, 1),
     new_york(2026, 11, 2), 25 * 60),
    ("always_open_london_fall_back_day_is_25_hours", ALWAYS_OPEN, london(2026, 10, 25),
     london(2026, 10, 26), 25 * 60),
    ("always_open_new_york_spring_forward_day_is_23_hours", ALWAYS_OPEN, new_york(2026, 3, 8),
     new_york(2026, 3, 9), 23 * 60),
    ("24x7_london_week_across_fall_back", LONDON_24X7, london(2026, 10, 22),
     london(2026, 10, 29), 7 * 24 * 60 + 60),
    # DST: hours spanning the change hour itself (00:00-06:00 local) are 5 or 7 real hours.
    ("nights_london_spring_forward", LONDON_NIGHTS, london(2026, 3, 29), london(2026, 3, 30), 300),
    ("nights_london_fall_back", LONDON_NIGHTS, london(2026, 10, 25), london(2026, 10, 26), 420),
    ("nights_new_york_spring_forward", NEW_YORK_NIGHTS, new_york(2026, 3, 8), new_york(2026, 3, 9),
     300),
    ("nights_new_york_fall_back", NEW_YORK_NIGHTS, new_york(2026, 11, 1), new_york(2026, 11, 2),
     420),
    # DST: business hours on either side of the change weekend stay 9 hours a day.
    ("london_office_week_across_spring_forward", UK_OFFICE, london(2026, 3, 23),
     london(2026, 4, 4), 2 * WEEK),
    ("new_york_office_week_across_fall_back", NY_OFFICE, new_york(2026, 10, 26),
     new_york(2026, 11, 7), 2 * WEEK),
    # Holidays.
    ("england_christmas_week_has_three_working_days", UK_OFFICE_ENGLAND, london(2026, 12, 21),
     london(2027, 1, 1), 7 * DAY),
    ("without_holiday_country_christmas_counts", UK_OFFICE, london(2026, 12, 21),
     london(2027, 1, 1), 9 * DAY),
    ("explicit_holiday_date", BusinessHours.weekdays(holidays=[date(2026, 11, 24)]),
     london(2026, 11, 23), london(2026, 11, 26), 2 * DAY),
    ("us_thanksgiving_week", NY_OFFICE_US, new_york(2026, 11, 23), new_york(2026, 11, 28),
     4 * DAY),
    ("new_york_state_thanksgiving_week",
     BusinessHours.weekdays(timezone="America/New_York", holiday_country="US",
                            holiday_subdivision="NY"),
     new_york(2026, 11, 23), new_york(2026, 11, 28), 4 * DAY),
    ("berlin_easter", BERLIN_OFFICE_BE, at(BERLIN, 2026, 4, 2), at(BERLIN, 2026, 4, 7), DAY),
]  # fmt: skip


@pytest.mark.parametrize(
    ("hours", "start", "end", "minutes"),
    [case[1:] for case in SPANS],
    ids=[case[0] for case in SPANS],
)
def test_business_minutes_between_counts_open_real_minutes(hours, start, end, minutes):
    assert business_minutes_between(start, end, hours) == minutes


# ------------------------------------------------------------------------------ round trip

ROUND_TRIP_STARTS = {
    "friday_1755": london(2026, 11, 20, 17, 55),
    "saturday_before_spring_forward": london(2026, 3, 28, 23, 30),
    "sunday_noon": london(2026, 11, 22, 12, 0),
    "monday_opening": london(2026, 11, 23, 9, 0),
    "christmas_eve_1700": london(2026, 12, 24, 17, 0),
    "new_york_friday_before_fall_back": new_york(2026, 10, 30, 17, 0),
    "new_york_fall_back_repeated_hour": datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
}
ROUND_TRIP_HOURS = {
    "uk_office": UK_OFFICE,
    "uk_office_england": UK_OFFICE_ENGLAND,
    "ny_office_us": NY_OFFICE_US,
    "always_open": ALWAYS_OPEN,
    "london_24x7": LONDON_24X7,
    "new_york_nights": NEW_YORK_NIGHTS,
}


@pytest.mark.parametrize("start", ROUND_TRIP_STARTS.values(), ids=ROUND_TRIP_STARTS.keys())
@pytest.mark.parametrize(
    "minutes", [0, 1, 30, 90.5, DAY - 1, DAY, DAY + 1, WEEK, 10_000, 30 * 24 * 60]
)
@pytest.mark.parametrize("hours", ROUND_TRIP_HOURS.values(), ids=ROUND_TRIP_HOURS.keys())
def test_minutes_between_start_and_its_deadline_equal_the_target(start, minutes, hours):
    deadline = add_business_minutes(start, minutes, hours)

    assert deadline >= start
    assert business_minutes_between(start, deadline, hours) == minutes


@pytest.mark.parametrize("hours", ROUND_TRIP_HOURS.values(), ids=ROUND_TRIP_HOURS.keys())
def test_minutes_between_adds_up_over_consecutive_spans(hours):
    moments = [london(2026, 10, 20) + timedelta(hours=7 * n) for n in range(40)]

    parts = sum(business_minutes_between(a, b, hours) for a, b in pairwise(moments))

    assert parts == business_minutes_between(moments[0], moments[-1], hours)


# ------------------------------------------------------------------------------------ errors

NAIVE = datetime(2026, 11, 23, 10, 0)  # deliberately naive
AWARE = london(2026, 11, 23, 10, 0)
NEVER_OPEN = BusinessHours(timezone="Europe/London", opening={})
ALWAYS_ON_HOLIDAY = BusinessHours.weekdays(
    holidays={date(2026, 1, 1) + timedelta(days=n) for n in range(4 * 366)}
)

ERRORS = [
    ("between_naive_start", lambda: business_minutes_between(NAIVE, AWARE, UK_OFFICE), "aware"),
    ("between_naive_end", lambda: business_minutes_between(AWARE, NAIVE, UK_OFFICE), "aware"),
    ("add_naive_start", lambda: add_business_minutes(NAIVE, 30, UK_OFFICE), "aware"),
    ("between_never_open", lambda: business_minutes_between(AWARE, AWARE, NEVER_OPEN),
     "never open"),
    ("add_never_open", lambda: add_business_minutes(AWARE, 30, NEVER_OPEN), "never open"),
    ("add_every_open_day_a_holiday", lambda: add_business_minutes(AWARE, 30, ALWAYS_ON_HOLIDAY),
     "never open"),
    ("add_negative_minutes", lambda: add_business_minutes(AWARE, -1, UK_OFFICE), "negative"),
    ("closing_before_opening", lambda: BusinessHours.weekdays("18:00", "09:00"), "end after"),
    ("weekday_out_of_range",
     lambda: BusinessHours("UTC", {7: (time(9), time(18))}), "Weekday"),
    ("unknown_time_zone", lambda: BusinessHours.weekdays(timezone="Mars/Olympus"),
     "time zone"),
    ("unknown_holiday_country",
     lambda: add_business_minutes(AWARE, 30, BusinessHours.weekdays(holiday_country="XX")),
     "holiday country"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "message"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS]
)
def test_invalid_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("hours", ROUND_TRIP_HOURS.values(), ids=ROUND_TRIP_HOURS.keys())
def test_many_deadlines_at_once_equal_one_at_a_time(hours):
    minutes = [0, 1, 30, 90.5, DAY - 1, DAY, DAY + 1, WEEK, 10_000]
    moments = [*ROUND_TRIP_STARTS.values(), london(2026, 11, 23, 18, 0), london(2026, 11, 23, 8)]
    starts = [start for start in moments for _ in minutes]
    targets = minutes * len(moments)

    many = add_business_minutes_many(starts, targets, hours)

    assert many == [add_business_minutes(s, m, hours) for s, m in zip(starts, targets, strict=True)]

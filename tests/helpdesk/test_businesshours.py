"""Tests for helpdesk.businesshours (pure: no database, no clock)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday
import pytest

from helpdesk.businesshours import ALWAYS_OPEN, TOKYO, BusinessCalendar

CAL = BusinessCalendar()
H = timedelta(hours=1)
M = timedelta(minutes=1)


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TOKYO)


def assert_tokyo(value: datetime) -> None:
    assert value.tzinfo is TOKYO
    assert value.utcoffset() == timedelta(hours=9)


# -- the 2026 calendar as jpholiday 1.0.3 has it -----------------------------------------------------


def test_2026_golden_week_holidays_including_substitute() -> None:
    assert jpholiday.is_holiday_name(date(2026, 4, 29)) == "昭和の日"
    assert jpholiday.is_holiday_name(date(2026, 5, 3)) == "憲法記念日"  # a Sunday
    assert date(2026, 5, 3).weekday() == 6
    assert jpholiday.is_holiday_name(date(2026, 5, 4)) == "みどりの日"
    assert jpholiday.is_holiday_name(date(2026, 5, 5)) == "こどもの日"
    # 5/3 falls on Sunday, 5/4 and 5/5 are holidays already, so the substitute holiday is Wednesday 5/6.
    assert jpholiday.is_holiday_name(date(2026, 5, 6)) == "憲法記念日 振替休日"
    assert date(2026, 5, 6).weekday() == 2
    for day in (date(2026, 4, 29), *(date(2026, 5, d) for d in range(2, 7))):
        assert not CAL.is_open_day(day), day
    for day in (date(2026, 4, 28), date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 7)):
        assert CAL.is_open_day(day), day


def test_2026_september_silver_week_holidays() -> None:
    # 9/21 Respect for the Aged Day (Mon) and 9/23 Autumnal Equinox (Wed) sandwich 9/22, which therefore
    # becomes a "national holiday" (国民の休日): with the weekend that is five closed days in a row.
    assert jpholiday.is_holiday_name(date(2026, 9, 21)) == "敬老の日"
    assert jpholiday.is_holiday_name(date(2026, 9, 22)) == "国民の休日"
    assert jpholiday.is_holiday_name(date(2026, 9, 23)) == "秋分の日"
    assert [date(2026, 9, d).weekday() for d in (21, 22, 23)] == [0, 1, 2]
    for d in range(19, 24):
        assert not CAL.is_open_day(date(2026, 9, d)), d
    assert CAL.is_open_day(date(2026, 9, 18))
    assert CAL.is_open_day(date(2026, 9, 24))


def test_is_open_day_matches_jpholiday_for_every_day_of_2026() -> None:
    day = date(2026, 1, 1)
    while day.year == 2026:
        year_end = (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)
        expected = day.weekday() < 5 and not jpholiday.is_holiday(day) and not year_end
        assert CAL.is_open_day(day) is expected, day
        day += timedelta(days=1)


def test_is_open_day_rejects_datetime() -> None:
    with pytest.raises(TypeError):
        CAL.is_open_day(jst(2026, 6, 15, 10))


# -- add() ------------------------------------------------------------------------------------------


def test_friday_afternoon_plus_one_hour_is_monday_morning() -> None:
    result = CAL.add(jst(2026, 6, 12, 16, 30), H)  # Friday
    assert result == jst(2026, 6, 15, 9, 30)  # Monday
    assert_tokyo(result)


def test_start_on_saturday_clock_starts_monday_opening() -> None:
    assert CAL.add(jst(2026, 6, 13, 11, 0), 2 * H) == jst(2026, 6, 15, 11, 0)
    assert CAL.add(jst(2026, 6, 14, 23, 59), 8 * H) == jst(2026, 6, 15, 17, 0)
    assert CAL.add(jst(2026, 6, 13, 11, 0), timedelta(0)) == jst(2026, 6, 15, 9, 0)


def test_across_showa_day() -> None:
    assert CAL.add(jst(2026, 4, 28, 16, 0), 2 * H) == jst(2026, 4, 30, 10, 0)


def test_across_golden_week_with_substitute_holiday() -> None:
    # Friday 5/1 16:00: 1h left that day; 5/2-5/6 closed (Sat, Sun, Mon, Tue, substitute Wed).
    assert CAL.add(jst(2026, 5, 1, 16, 0), 2 * H) == jst(2026, 5, 7, 10, 0)
    assert CAL.elapsed(jst(2026, 4, 28, 9, 0), jst(2026, 5, 7, 17, 0)) == 4 * 8 * H  # 4/28, 4/30, 5/1, 5/7


def test_across_september_2026_holidays() -> None:
    assert CAL.add(jst(2026, 9, 18, 16, 0), 2 * H) == jst(2026, 9, 24, 10, 0)
    assert CAL.elapsed(jst(2026, 9, 18, 12, 0), jst(2026, 9, 24, 12, 0)) == 8 * H


def test_year_end_closure() -> None:
    for day in (date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 2)):
        assert not CAL.is_open_day(day), day
    assert CAL.is_open_day(date(2026, 12, 28))
    assert CAL.is_open_day(date(2027, 1, 4))
    # Monday 12/28 16:00 + 2h: 12/29 (Tue) to 1/3 (Sun) closed, reopen Monday 1/4.
    assert CAL.add(jst(2026, 12, 28, 16, 0), 2 * H) == jst(2027, 1, 4, 10, 0)
    assert CAL.elapsed(jst(2026, 12, 28, 9, 0), jst(2027, 1, 4, 17, 0)) == 16 * H


def test_year_end_closure_can_be_disabled() -> None:
    cal = BusinessCalendar(year_end_closure=False)
    assert cal.is_open_day(date(2026, 12, 29))
    assert cal.is_open_day(date(2026, 12, 31))
    assert not cal.is_open_day(date(2027, 1, 1))  # New Year's Day is a public holiday anyway
    assert cal.add(jst(2026, 12, 28, 16, 0), 2 * H) == jst(2026, 12, 29, 10, 0)


def test_extra_closed_dates() -> None:
    cal = BusinessCalendar(extra_closed_dates=frozenset({date(2026, 6, 15)}))
    assert not cal.is_open_day(date(2026, 6, 15))
    assert cal.add(jst(2026, 6, 12, 16, 30), H) == jst(2026, 6, 16, 9, 30)


def test_start_exactly_at_open() -> None:
    assert CAL.add(jst(2026, 6, 15, 9, 0), 8 * H) == jst(2026, 6, 15, 17, 0)
    assert CAL.add(jst(2026, 6, 15, 9, 0), timedelta(0)) == jst(2026, 6, 15, 9, 0)
    assert CAL.elapsed(jst(2026, 6, 15, 9, 0), jst(2026, 6, 15, 17, 0)) == 8 * H


def test_start_exactly_at_close() -> None:
    assert CAL.add(jst(2026, 6, 15, 17, 0), M) == jst(2026, 6, 16, 9, 1)
    assert CAL.add(jst(2026, 6, 15, 17, 0), timedelta(0)) == jst(2026, 6, 15, 17, 0)
    assert CAL.elapsed(jst(2026, 6, 15, 17, 0), jst(2026, 6, 16, 9, 0)) == timedelta(0)


def test_deadline_landing_on_close_is_reported_as_close() -> None:
    assert CAL.add(jst(2026, 6, 15, 16, 0), H) == jst(2026, 6, 15, 17, 0)


def test_start_after_close_and_before_open() -> None:
    assert CAL.add(jst(2026, 6, 15, 20, 0), H) == jst(2026, 6, 16, 10, 0)
    assert CAL.add(jst(2026, 6, 16, 6, 0), H) == jst(2026, 6, 16, 10, 0)


def test_thirty_business_days() -> None:
    # June 2026 and early July have no public holidays: 30 business days = six full weeks.
    assert CAL.add(jst(2026, 6, 1, 9, 0), 30 * 8 * H) == jst(2026, 7, 10, 17, 0)


def test_long_duration_is_consistent() -> None:
    start = jst(2026, 3, 1, 12, 0)
    duration = 5000 * 8 * H  # about 20 years of business days
    end = CAL.add(start, duration)
    assert end.year in (2046, 2047)
    assert CAL.elapsed(start, end) == duration


def test_custom_hours_and_weekdays() -> None:
    cal = BusinessCalendar(
        open_time=time(10, 0), close_time=time(15, 30), weekdays=frozenset({0, 1, 2, 3, 4, 5})
    )
    # Friday 15:00 + 1h: 30 min Friday, Saturday opens at 10:00.
    assert cal.add(jst(2026, 6, 12, 15, 0), H) == jst(2026, 6, 13, 10, 30)
    assert cal.elapsed(jst(2026, 6, 12, 0, 0), jst(2026, 6, 15, 0, 0)) == 11 * H


def test_always_open_is_plain_addition() -> None:
    rng = random.Random(7)
    for _ in range(200):
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(400 * 86400))
        duration = timedelta(seconds=rng.randrange(60 * 86400), microseconds=rng.randrange(10**6))
        result = ALWAYS_OPEN.add(start, duration)
        assert result == start + duration
        assert_tokyo(result)
        assert ALWAYS_OPEN.elapsed(start, result) == duration
    # Weekends, holidays and year-end do not stop the urgent clock.
    assert ALWAYS_OPEN.add(jst(2026, 12, 31, 23, 0), 2 * H) == jst(2027, 1, 1, 1, 0)
    assert ALWAYS_OPEN.is_open_day(date(2026, 5, 6))
    assert ALWAYS_OPEN.is_open_day(date(2026, 12, 30))


# -- elapsed() --------------------------------------------------------------------------------------


def test_elapsed_across_weekend() -> None:
    assert CAL.elapsed(jst(2026, 6, 12, 15, 0), jst(2026, 6, 15, 10, 0)) == 3 * H
    assert CAL.elapsed(jst(2026, 6, 13, 0, 0), jst(2026, 6, 15, 0, 0)) == timedelta(0)
    assert CAL.elapsed(jst(2026, 6, 15, 0, 0), jst(2026, 6, 22, 0, 0)) == 40 * H


def test_elapsed_is_zero_when_end_not_after_start() -> None:
    a, b = jst(2026, 6, 15, 10, 0), jst(2026, 6, 15, 12, 0)
    assert CAL.elapsed(b, a) == timedelta(0)
    assert CAL.elapsed(a, a) == timedelta(0)
    assert ALWAYS_OPEN.elapsed(b, a) == timedelta(0)


def test_elapsed_within_one_day() -> None:
    assert CAL.elapsed(jst(2026, 6, 15, 8, 0), jst(2026, 6, 15, 12, 15)) == timedelta(hours=3, minutes=15)
    assert CAL.elapsed(jst(2026, 6, 15, 16, 0), jst(2026, 6, 15, 23, 0)) == H


# -- time zones and validation ----------------------------------------------------------------------


def test_utc_inputs_are_converted_to_tokyo() -> None:
    midnight_utc = datetime(2026, 6, 15, 0, 0, tzinfo=UTC)  # Monday 09:00 JST
    assert midnight_utc == jst(2026, 6, 15, 9, 0)
    result = CAL.add(midnight_utc, H)
    assert result == datetime(2026, 6, 15, 1, 0, tzinfo=UTC)
    assert_tokyo(result)
    assert (result.hour, result.minute) == (10, 0)
    # Sunday 23:30 UTC is Monday 08:30 JST, before opening.
    assert CAL.add(datetime(2026, 6, 14, 23, 30, tzinfo=UTC), 30 * M) == jst(2026, 6, 15, 9, 30)
    # Friday 08:00 UTC is Friday 17:00 JST: closing time.
    assert CAL.add(datetime(2026, 6, 12, 8, 0, tzinfo=UTC), M) == jst(2026, 6, 15, 9, 1)
    # A UTC date that differs from the Tokyo date: Saturday 20:00 UTC is Sunday 05:00 JST.
    sunday_early_jst = datetime(2026, 6, 13, 20, 0, tzinfo=UTC)
    assert sunday_early_jst.astimezone(TOKYO).date() == date(2026, 6, 14)
    assert CAL.elapsed(sunday_early_jst, datetime(2026, 6, 15, 8, 0, tzinfo=UTC)) == 8 * H


def test_other_time_zones() -> None:
    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 6, 14, 20, 0, tzinfo=new_york)  # Sunday 20:00 EDT = Monday 09:00 JST
    assert CAL.add(start, H) == jst(2026, 6, 15, 10, 0)
    end = datetime(2026, 6, 15, 4, 0, tzinfo=new_york)  # Monday 17:00 JST
    assert CAL.elapsed(start, end) == 8 * H


@pytest.mark.parametrize("cal", [CAL, ALWAYS_OPEN])
def test_naive_datetimes_are_rejected(cal: BusinessCalendar) -> None:
    naive = datetime(2026, 6, 15, 10, 0)
    aware = jst(2026, 6, 15, 10, 0)
    for call in (
        lambda: cal.add(naive, H),
        lambda: cal.elapsed(naive, aware),
        lambda: cal.elapsed(aware, naive),
    ):
        with pytest.raises(ValueError, match="timezone-aware") as excinfo:
            call()
        assert "2026" not in str(excinfo.value)


@pytest.mark.parametrize("cal", [CAL, ALWAYS_OPEN])
def test_negative_duration_is_rejected(cal: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="negative") as excinfo:
        cal.add(jst(2026, 6, 15, 10, 0), timedelta(seconds=-1))
    assert "-1" not in str(excinfo.value)


def test_calendar_that_never_opens_raises() -> None:
    with pytest.raises(ValueError, match="no open day"):
        BusinessCalendar(weekdays=frozenset()).add(jst(2026, 6, 15, 10, 0), H)
    # A calendar that does open, but only after a run of closed days, still works.
    closed = frozenset(date(2026, 6, 15) + timedelta(days=i) for i in range(300))
    cal = BusinessCalendar(extra_closed_dates=closed)
    assert cal.add(jst(2026, 6, 15, 10, 0), H) == jst(2027, 4, 12, 10, 0)


def test_invalid_calendars_are_rejected() -> None:
    with pytest.raises(ValueError, match="earlier"):
        BusinessCalendar(open_time=time(17, 0), close_time=time(9, 0))
    with pytest.raises(ValueError, match="earlier"):
        BusinessCalendar(open_time=time(9, 0), close_time=time(9, 0))
    with pytest.raises(ValueError, match="weekdays"):
        BusinessCalendar(weekdays=frozenset({7}))
    with pytest.raises(ValueError, match="naive"):
        BusinessCalendar(open_time=time(9, 0, tzinfo=UTC))


def test_calendar_is_frozen_and_hashable() -> None:
    assert BusinessCalendar() == CAL
    assert hash(BusinessCalendar()) == hash(CAL)
    assert ALWAYS_OPEN.always_open
    with pytest.raises(AttributeError):
        CAL.always_open = True  # type: ignore[misc]


# -- properties (seeded random) ---------------------------------------------------------------------

CALENDARS = [
    pytest.param(CAL, id="default"),
    pytest.param(
        BusinessCalendar(
            open_time=time(8, 30, 15),
            close_time=time(17, 15),
            weekdays=frozenset({1, 2, 3, 4, 5}),
            year_end_closure=False,
            extra_closed_dates=frozenset({date(2026, 8, 13), date(2026, 8, 14)}),
        ),
        id="custom",
    ),
    pytest.param(ALWAYS_OPEN, id="always-open"),
]


def _random_start(rng: random.Random) -> datetime:
    """Random UTC instant in 2025-2027, biased towards the edges of business hours."""
    base = datetime(2025, 1, 1, tzinfo=UTC)
    if rng.random() < 0.3:  # exactly at an opening or closing time of some day
        day = jst(2025, 1, 1) + timedelta(days=rng.randrange(1000))
        edge = rng.choice([time(9, 0), time(17, 0), time(8, 30, 15), time(17, 15), time(0, 0)])
        return datetime.combine(day.date(), edge, tzinfo=TOKYO).astimezone(UTC)
    return base + timedelta(seconds=rng.randrange(1000 * 86400), microseconds=rng.randrange(10**6))


def _random_duration(rng: random.Random) -> timedelta:
    kind = rng.random()
    if kind < 0.1:
        return timedelta(0)
    if kind < 0.4:  # whole business hours / days
        return rng.randrange(1, 30 * 8 + 1) * H
    return timedelta(seconds=rng.randrange(45 * 8 * 3600), microseconds=rng.randrange(10**6))


@pytest.mark.parametrize("cal", CALENDARS)
def test_property_elapsed_of_add_is_identity(cal: BusinessCalendar) -> None:
    rng = random.Random(20260429)
    for _ in range(400):
        start = _random_start(rng)
        duration = _random_duration(rng)
        end = cal.add(start, duration)
        assert end >= start
        assert_tokyo(end)
        assert cal.elapsed(start, end) == duration, (start, duration, end)
        if duration:
            # The deadline is the earliest such instant: it lies inside business hours.
            local = end.astimezone(TOKYO)
            assert cal.is_open_day(local.date())
            if not cal.always_open:
                assert cal.open_time < local.time() <= cal.close_time


@pytest.mark.parametrize("cal", CALENDARS)
def test_property_add_is_monotonic_and_elapsed_additive(cal: BusinessCalendar) -> None:
    rng = random.Random(921)
    for _ in range(200):
        start = _random_start(rng)
        d1, d2 = sorted((_random_duration(rng), _random_duration(rng)))
        assert cal.add(start, d1) <= cal.add(start, d2)
        # add composes: adding d1 then d2 - d1 equals adding d2.
        assert cal.add(cal.add(start, d1), d2 - d1) == cal.add(start, d2)
        a, b, c = sorted(_random_start(rng) for _ in range(3))
        assert cal.elapsed(a, b) + cal.elapsed(b, c) == cal.elapsed(a, c)


def _elapsed_by_minutes(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Slow, obviously-correct reference: count open minutes one by one (minute-aligned inputs)."""
    total = timedelta(0)
    t = start
    while t < end:
        local = t.astimezone(TOKYO)
        if cal.is_open_day(local.date()) and cal.open_time <= local.time() < cal.close_time:
            total += M
        t += M
    return total


def test_property_elapsed_matches_minute_by_minute_reference() -> None:
    rng = random.Random(1229)
    cal = BusinessCalendar(open_time=time(9, 30), close_time=time(16, 45))
    for c in (CAL, cal):
        for _ in range(25):
            start = datetime(2026, 4, 20, tzinfo=UTC) + rng.randrange(260 * 24 * 60) * M
            end = start + rng.randrange(7 * 24 * 60) * M
            assert c.elapsed(start, end) == _elapsed_by_minutes(c, start, end), (start, end)

"""Business-hours arithmetic for SLA clocks.

Non-urgent consultations run their SLA clock only while the service is open: Monday to Friday,
09:00-17:00 Asia/Tokyo, excluding Japanese public holidays (``jpholiday``, which includes substitute
holidays and the "national holiday" sandwiched between two holidays) and the 12/29-1/3 year-end
closure observed by Japanese public offices. Urgent consultations use :data:`ALWAYS_OPEN` (24/7).

The module is pure: no database, no clock, no settings. Pausing the clock (e.g. while a consultation
waits for the worker) is the caller's job: sum :meth:`BusinessCalendar.elapsed` over the running
intervals.

All arithmetic is done on absolute instants (UTC), so the results are exact to the microsecond and
:meth:`BusinessCalendar.add` / :meth:`BusinessCalendar.elapsed` are mutually consistent::

    cal.elapsed(start, cal.add(start, d)) == d
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday

__all__ = ["ALWAYS_OPEN", "TOKYO", "BusinessCalendar"]

TOKYO = ZoneInfo("Asia/Tokyo")

#: Longest run of consecutive closed days tolerated before concluding the calendar never opens.
MAX_CLOSED_RUN_DAYS = 400

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)


@functools.lru_cache(maxsize=256)
def _jp_holidays(year: int) -> frozenset[date]:
    """Japanese public holidays of ``year`` (incl. substitute and sandwiched 'national' holidays)."""
    return frozenset(day for day, _name in jpholiday.year_holidays(year))


def _is_jp_holiday(day: date) -> bool:
    return day in _jp_holidays(day.year)


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _to_tokyo(instant: datetime) -> datetime:
    return instant.astimezone(TOKYO)


def _plus(instant: datetime, delta: timedelta) -> datetime:
    """Absolute-time addition (not wall-clock), returned in Asia/Tokyo."""
    return (instant.astimezone(UTC) + delta).astimezone(TOKYO)


def _between(a: datetime, b: datetime) -> timedelta:
    """Absolute time from ``a`` to ``b``."""
    return b.astimezone(UTC) - a.astimezone(UTC)


@dataclass(frozen=True)
class BusinessCalendar:
    """When an SLA clock runs. Times are Asia/Tokyo local wall-clock times."""

    open_time: time = time(9, 0)  # Asia/Tokyo local time
    close_time: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday=0
    year_end_closure: bool = True  # 12/29-1/3 closed, as Japanese public offices are
    extra_closed_dates: frozenset[date] = frozenset()
    always_open: bool = False  # 24/7 (urgent lane)

    def __post_init__(self) -> None:
        # Accept any iterable for the set fields, but store (hashable) frozensets.
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "extra_closed_dates", frozenset(self.extra_closed_dates))
        if self.always_open:
            return
        if self.open_time.tzinfo is not None or self.close_time.tzinfo is not None:
            raise ValueError("open_time and close_time must be naive (Asia/Tokyo local) times")
        if not self.open_time < self.close_time:
            raise ValueError("open_time must be earlier than close_time")
        if not self.weekdays <= frozenset(range(7)):
            raise ValueError("weekdays must be integers 0 (Monday) to 6 (Sunday)")

    # -- days ---------------------------------------------------------------------------------------

    def is_open_day(self, day: date) -> bool:
        """Whether the service opens on ``day`` (an Asia/Tokyo calendar date).

        Always true for an ``always_open`` calendar.
        """
        if isinstance(day, datetime):
            raise TypeError("day must be a date, not a datetime")
        if self.always_open:
            return True
        if day.weekday() not in self.weekdays:
            return False
        if self.year_end_closure and _is_year_end(day):
            return False
        if day in self.extra_closed_dates:
            return False
        return not _is_jp_holiday(day)

    def _window(self, day: date) -> tuple[datetime, datetime]:
        """Opening and closing instants of ``day`` (assumed open)."""
        return (
            datetime.combine(day, self.open_time, tzinfo=TOKYO),
            datetime.combine(day, self.close_time, tzinfo=TOKYO),
        )

    def _open_days_from(self, day: date) -> Iterator[date]:
        """Open days on or after ``day``, in order; raises if none within MAX_CLOSED_RUN_DAYS."""
        closed_run = 0
        while True:
            if self.is_open_day(day):
                closed_run = 0
                yield day
            else:
                closed_run += 1
                if closed_run > MAX_CLOSED_RUN_DAYS:
                    raise ValueError(f"calendar has no open day within {MAX_CLOSED_RUN_DAYS} days")
            try:
                day += _ONE_DAY
            except OverflowError:
                raise ValueError("result is out of the supported date range") from None

    # -- clock arithmetic ---------------------------------------------------------------------------

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of open time has elapsed after ``start`` (Asia/Tokyo).

        If ``start`` is outside business hours the clock starts at the next opening. A zero
        ``duration`` therefore returns ``start`` itself when it lies within [open, close] of an open
        day (closing time included), and otherwise the next opening. A deadline that lands exactly on
        closing time is reported as that closing time, not as the next opening.
        """
        _require_aware(start, "start")
        if not isinstance(duration, timedelta):
            raise TypeError("duration must be a timedelta")
        if duration < _ZERO:
            raise ValueError("duration must not be negative")
        try:
            if self.always_open:
                return _plus(start, duration)
            local = _to_tokyo(start)
            remaining = duration
            for day in self._open_days_from(local.date()):
                opens, closes = self._window(day)
                if local > closes:
                    continue  # only possible on the first day: start is after closing
                begin = max(local, opens)
                available = _between(begin, closes)
                if remaining <= available:
                    return _plus(begin, remaining)
                remaining -= available
        except OverflowError:
            raise ValueError("result is out of the supported date range") from None
        raise AssertionError("unreachable")  # pragma: no cover - _open_days_from never ends quietly

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Open time between ``start`` and ``end`` (zero if ``end <= start``)."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end <= start:
            return _ZERO
        if self.always_open:
            return _between(start, end)
        local_start, local_end = _to_tokyo(start), _to_tokyo(end)
        first_day = local_start.date()
        total = _ZERO
        # Bounded by the span itself (end - start), so no extra cap is needed; closed days cost one
        # (cached) set lookup each.
        for offset in range((local_end.date() - first_day).days + 1):
            day = first_day + timedelta(days=offset)
            if self.is_open_day(day):
                opens, closes = self._window(day)
                lo, hi = max(opens, local_start), min(closes, local_end)
                if lo < hi:
                    total += _between(lo, hi)
        return total


def _is_year_end(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


#: The urgent lane: the clock runs 24/7.
ALWAYS_OPEN = BusinessCalendar(always_open=True)

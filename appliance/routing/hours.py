"""Business hours: when a queue is open, judged in the queue's own time zone.

This code cannot do I/O and reads no clock: the instant to judge is passed in
(timezone-aware). The only outside data is the IANA time zone database, which
zoneinfo loads once per zone and caches; a zone that cannot be loaded is refused
when the hours are parsed, with a message saying whether the database is missing.

The JSON form (stored in `queue.hours`, sent and received over the API):

    {"time_zone": "Asia/Shanghai",
     "weekly": {"mon": [["09:00", "12:00"], ["13:00", "17:30"]], ..., "sun": []},
     "holidays": ["2026-10-01", "2026-10-02"],
     "special_days": {"2026-10-10": [["09:00", "17:30"]]}}

Intervals are [start, end) of local wall-clock time, "HH:MM"; an end may be
"24:00". An interval never crosses midnight (refused, not guessed): an overnight
shift is "22:00"-"24:00" on one day and "00:00"-"06:00" on the next, which join
with no gap. A weekday left out is closed. A holiday closes its whole local date;
a special day replaces the weekly schedule of its date (a make-up working
Saturday, 调休; a short day before a festival).

Daylight saving time follows the wall clock: an interval is open while the local
clock reads inside it, so an hour repeated in autumn is open (or closed) twice
and an interval wholly inside the hour skipped in spring never opens that day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError
from zoneinfo import available_timezones

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON = timedelta(days=366)
MAX_INTERVALS_PER_DAY = 12
MAX_DATES = 1000
MINUTES_PER_DAY = 1440

_CLOCK = re.compile(r"(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ZONE = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*\Z")
_KEYS = ("time_zone", "weekly", "holidays", "special_days")


class HoursError(ValueError):
    """The hours are not valid; `field` names where (`hours.weekly.mon[1]`)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.field = where


@dataclass(frozen=True, order=True)
class Interval:
    """[start, end) in minutes after local midnight; 0 <= start < end <= 1440."""

    start: int
    end: int

    def as_json(self) -> list[str]:
        return [_clock(self.start), _clock(self.end)]


Day = tuple[Interval, ...]


@dataclass(frozen=True)
class BusinessHours:
    """A weekly schedule with holidays and special days, in one IANA time zone."""

    time_zone: str
    weekly: tuple[Day, Day, Day, Day, Day, Day, Day]  # Monday first
    holidays: frozenset[date] = frozenset()
    special_days: Mapping[date, Day] = field(default_factory=dict, hash=False)
    zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", load_zone(self.time_zone))

    def intervals_on(self, day: date) -> Day:
        """The opening intervals of a local date."""
        if day in self.holidays:
            return ()
        special = self.special_days.get(day)
        return self.weekly[day.weekday()] if special is None else special

    def as_json(self) -> dict[str, object]:
        return {
            "time_zone": self.time_zone,
            "weekly": {
                name: [i.as_json() for i in day]
                for name, day in zip(WEEKDAYS, self.weekly, strict=True)
            },
            "holidays": [day.isoformat() for day in sorted(self.holidays)],
            "special_days": {
                day.isoformat(): [i.as_json() for i in self.special_days[day]]
                for day in sorted(self.special_days)
            },
        }


def load_zone(name: object, where: str = "time_zone") -> ZoneInfo:
    """The zone called `name`, or HoursError saying whether the zone database is missing."""
    if not isinstance(name, str) or len(name) > 64 or not _ZONE.fullmatch(name):
        raise HoursError(where, "expected an IANA time zone name such as Asia/Shanghai")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        if not available_timezones():
            raise HoursError(
                where,
                f"this machine has no time zone database, so {name!r} cannot be used; "
                "install the operating system's tzdata package (Debian: apt-get install "
                "tzdata) or the tzdata Python package",
            ) from None
    except (ValueError, OSError):
        pass
    raise HoursError(where, f"unknown time zone {name!r}; expected an IANA name like Asia/Shanghai")


def parse_hours(obj: object, where: str = "hours") -> BusinessHours:
    """Validate the JSON form; raise HoursError naming the first bad field."""
    if not isinstance(obj, Mapping):
        raise HoursError(where, "expected an object with time_zone and weekly")
    unknown = sorted(str(key) for key in obj if key not in _KEYS)
    if unknown:
        raise HoursError(f"{where}.{unknown[0]}", f"unknown field; expected {', '.join(_KEYS)}")
    for key in ("time_zone", "weekly"):
        if key not in obj:
            raise HoursError(f"{where}.{key}", "required")
    zone = load_zone(obj["time_zone"], f"{where}.time_zone")
    weekly = _weekly(obj["weekly"], f"{where}.weekly")
    holidays = _holidays(obj.get("holidays", []), f"{where}.holidays")
    special = _special_days(obj.get("special_days", {}), f"{where}.special_days", holidays)
    return BusinessHours(zone.key, weekly, holidays, special)


def is_open(hours: BusinessHours | None, at: datetime) -> bool:
    """Whether the queue is open at the instant `at` (timezone-aware). None: always open."""
    instant = _utc(at)
    if hours is None:
        return True
    local = instant.astimezone(hours.zone)
    minute = local.hour * 60 + local.minute
    return any(i.start <= minute < i.end for i in hours.intervals_on(local.date()))


def next_opening(hours: BusinessHours | None, at: datetime) -> datetime | None:
    """The first instant at or after `at` when the queue is open (UTC), `at` itself if it
    is open; None if it stays closed for the next 366 days."""
    now = _utc(at)
    if is_open(hours, now):
        return now
    assert hours is not None  # None is always open
    limit = now + HORIZON
    day = now.astimezone(hours.zone).date()
    # The open set only grows at a breakpoint: the local clock reaching an interval's
    # start, a local midnight, or a UTC offset change (DST). Try each, in order.
    while True:
        day_start, day_end = _day_span(day, hours.zone)
        if day_start > limit:
            return None
        candidates = [day_start]
        for interval in hours.intervals_on(day):
            wall = datetime.combine(day, time()) + timedelta(minutes=interval.start)
            candidates.extend(_instants_reading(wall, hours.zone))
        change = _offset_change(day_start, day_end, hours.zone)
        if change is not None:
            candidates.append(change)
        for candidate in sorted(candidates):
            if now < candidate <= limit and is_open(hours, candidate):
                return candidate
        day += timedelta(days=1)


# --- time arithmetic ------------------------------------------------------------------


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at: expected a timezone-aware datetime")
    return at.astimezone(UTC)


def _day_span(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight starting `day` and the next (tiling the timeline)."""
    start = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return start, end


def _instants_reading(wall: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every instant at which the local clock reads `wall`: none in a DST gap, two in
    a repeated hour, one otherwise."""
    found: list[datetime] = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall and instant not in found:
            found.append(instant)
    return found


def _offset_change(start: datetime, end: datetime, zone: ZoneInfo) -> datetime | None:
    """The instant in [start, end) at which the UTC offset changes, if it does (at most
    one change per local day, which holds for every zone in use)."""
    first, last = int(start.timestamp()), int(end.timestamp()) - 1
    before = _offset(first, zone)
    if last <= first or _offset(last, zone) == before:
        return None
    while last - first > 1:  # invariant: offset(first) == before != offset(last)
        middle = (first + last) // 2
        if _offset(middle, zone) == before:
            first = middle
        else:
            last = middle
    return datetime.fromtimestamp(last, UTC)


def _offset(seconds: int, zone: ZoneInfo) -> timedelta | None:
    return datetime.fromtimestamp(seconds, UTC).astimezone(zone).utcoffset()


# --- parsing --------------------------------------------------------------------------


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(raw: object, where: str) -> int:
    match = _CLOCK.match(raw) if isinstance(raw, str) else None
    if match is None:
        raise HoursError(where, 'expected a time "HH:MM" from "00:00" to "24:00"')
    hour, minute = match.group(1) or match.group(3), match.group(2) or match.group(4)
    return int(hour) * 60 + int(minute)


def _intervals(raw: object, where: str) -> Day:
    if not isinstance(raw, list):
        raise HoursError(where, 'expected a list of ["HH:MM", "HH:MM"] intervals')
    if len(raw) > MAX_INTERVALS_PER_DAY:
        raise HoursError(where, f"at most {MAX_INTERVALS_PER_DAY} intervals a day")
    intervals = []
    for n, pair in enumerate(raw):
        at = f"{where}[{n}]"
        if not isinstance(pair, list) or len(pair) != 2:
            raise HoursError(at, 'expected ["HH:MM", "HH:MM"], a start and an end')
        start, end = _minutes(pair[0], at), _minutes(pair[1], at)
        if start >= end:
            raise HoursError(
                at,
                "the start must be before the end; an interval cannot cross midnight "
                '(write "22:00"-"24:00" and "00:00"-"06:00" on the next day)',
            )
        intervals.append(Interval(start, end))
    intervals.sort()
    for earlier, later in pairwise(intervals):
        if later.start < earlier.end:
            raise HoursError(
                where, f"{_clock(later.start)} starts before {_clock(earlier.end)} ends: overlap"
            )
    return tuple(intervals)


def _weekly(raw: object, where: str) -> tuple[Day, Day, Day, Day, Day, Day, Day]:
    if not isinstance(raw, Mapping):
        raise HoursError(where, 'expected an object of weekdays, e.g. {"mon": [...], ...}')
    unknown = sorted(str(key) for key in raw if key not in WEEKDAYS)
    if unknown:
        raise HoursError(f"{where}.{unknown[0]}", f"unknown day; expected {', '.join(WEEKDAYS)}")
    mon, tue, wed, thu, fri, sat, sun = (
        _intervals(raw.get(name, []), f"{where}.{name}") for name in WEEKDAYS
    )
    return (mon, tue, wed, thu, fri, sat, sun)


def _date(raw: object, where: str) -> date:
    if isinstance(raw, str) and _DATE.match(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise HoursError(where, 'expected a date "YYYY-MM-DD"')


def _holidays(raw: object, where: str) -> frozenset[date]:
    if not isinstance(raw, list):
        raise HoursError(where, 'expected a list of dates "YYYY-MM-DD"')
    if len(raw) > MAX_DATES:
        raise HoursError(where, f"at most {MAX_DATES} dates")
    seen: set[date] = set()
    for n, item in enumerate(raw):
        day = _date(item, f"{where}[{n}]")
        if day in seen:
            raise HoursError(f"{where}[{n}]", f"{day.isoformat()} is listed twice")
        seen.add(day)
    return frozenset(seen)


def _special_days(raw: object, where: str, holidays: frozenset[date]) -> dict[date, Day]:
    if not isinstance(raw, Mapping):
        raise HoursError(where, 'expected an object {"YYYY-MM-DD": [intervals], ...}')
    if len(raw) > MAX_DATES:
        raise HoursError(where, f"at most {MAX_DATES} dates")
    special: dict[date, Day] = {}
    for key, value in raw.items():
        at = f"{where}.{key}"
        day = _date(key, at)
        if day in holidays:
            raise HoursError(at, "is also a holiday; a date is one or the other")
        intervals = _intervals(value, at)
        if not intervals:
            raise HoursError(at, "give at least one interval (a closed date is a holiday)")
        special[day] = intervals
    return special

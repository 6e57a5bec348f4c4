"""routing/hours.py: business hours in a time zone, holidays, make-up days, DST."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from appliance.routing import hours as hours_module
from appliance.routing.hours import HoursError
from appliance.routing.hours import is_open
from appliance.routing.hours import next_opening
from appliance.routing.hours import parse_hours

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
WORKDAY = [["09:00", "12:00"], ["13:00", "17:30"]]

# 2026: 国庆 1-7 October (Thursday to Wednesday); Saturday 10 October is a make-up working day.
BANK = {
    "time_zone": "Asia/Shanghai",
    "weekly": {day: WORKDAY for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": [f"2026-10-0{n}" for n in range(1, 8)],
    "special_days": {"2026-10-10": [["09:00", "17:30"]]},
}


def local(zone, *args):
    """A local wall-clock time as an aware UTC instant."""
    return datetime(*args, tzinfo=zone).astimezone(UTC)


def shanghai(*args):
    return local(SHANGHAI, *args)


@pytest.fixture
def bank():
    return parse_hours(BANK)


def test_it_is_open_in_working_hours_and_closed_at_lunch(bank):
    assert is_open(bank, shanghai(2026, 9, 28, 9, 0))  # a Monday
    assert is_open(bank, shanghai(2026, 9, 28, 11, 59, 59))
    assert not is_open(bank, shanghai(2026, 9, 28, 12, 0))
    assert not is_open(bank, shanghai(2026, 9, 28, 12, 30))
    assert is_open(bank, shanghai(2026, 9, 28, 13, 0))
    assert not is_open(bank, shanghai(2026, 9, 28, 17, 30))
    assert not is_open(bank, shanghai(2026, 9, 28, 8, 59, 59))


def test_it_judges_by_the_local_date_not_the_utc_one(bank):
    # 01:30 UTC on Monday is 09:30 in Shanghai, the same Monday; 23:30 UTC Sunday is 07:30 Monday.
    assert is_open(bank, datetime(2026, 9, 28, 1, 30, tzinfo=UTC))
    assert not is_open(bank, datetime(2026, 9, 27, 23, 30, tzinfo=UTC))


def test_it_is_closed_at_weekends_and_on_holidays(bank):
    assert not is_open(bank, shanghai(2026, 9, 26, 10, 0))  # Saturday
    assert not is_open(bank, shanghai(2026, 10, 1, 10, 0))  # 国庆, a Thursday
    assert not is_open(bank, shanghai(2026, 10, 7, 10, 0))


def test_it_opens_on_a_make_up_saturday_with_its_own_hours(bank):
    assert is_open(bank, shanghai(2026, 10, 10, 12, 30))  # no lunch break that day
    assert not is_open(bank, shanghai(2026, 10, 10, 17, 30))
    assert not is_open(bank, shanghai(2026, 10, 17, 10, 0))  # an ordinary Saturday


def test_next_opening_is_now_when_open(bank):
    now = shanghai(2026, 9, 28, 10, 0)

    assert next_opening(bank, now) == now


def test_next_opening_after_lunch_evening_weekend_and_holidays(bank):
    assert next_opening(bank, shanghai(2026, 9, 28, 12, 5)) == shanghai(2026, 9, 28, 13, 0)
    assert next_opening(bank, shanghai(2026, 9, 28, 18, 0)) == shanghai(2026, 9, 29, 9, 0)
    assert next_opening(bank, shanghai(2026, 9, 25, 18, 0)) == shanghai(2026, 9, 28, 9, 0)
    # From the evening before 国庆, the next opening is Thursday 8 October.
    assert next_opening(bank, shanghai(2026, 9, 30, 18, 0)) == shanghai(2026, 10, 8, 9, 0)
    assert next_opening(bank, shanghai(2026, 10, 9, 18, 0)) == shanghai(2026, 10, 10, 9, 0)


def test_next_opening_answers_in_utc(bank):
    found = next_opening(bank, datetime(2026, 9, 28, 12, 5, tzinfo=SHANGHAI))

    assert found is not None
    assert found.utcoffset() == timedelta(0)


def test_none_means_always_open():
    now = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)

    assert is_open(None, now)
    assert next_opening(None, now) == now


def test_next_opening_looks_366_days_ahead_and_no_further():
    now = shanghai(2026, 1, 1, 12, 0)
    soon = parse_hours(
        {"time_zone": "Asia/Shanghai", "weekly": {}, "special_days": {"2026-12-31": WORKDAY}}
    )
    late = parse_hours(
        {"time_zone": "Asia/Shanghai", "weekly": {}, "special_days": {"2027-01-03": WORKDAY}}
    )
    never = parse_hours({"time_zone": "Asia/Shanghai", "weekly": {}})

    assert next_opening(soon, now) == shanghai(2026, 12, 31, 9, 0)
    assert next_opening(late, now) is None
    assert next_opening(never, now) is None


def test_an_overnight_shift_is_two_intervals_that_join_at_midnight():
    night = parse_hours(
        {
            "time_zone": "Asia/Shanghai",
            "weekly": {"fri": [["22:00", "24:00"]], "sat": [["00:00", "02:00"]]},
        }
    )

    assert is_open(night, shanghai(2026, 10, 2, 23, 59, 59))
    assert is_open(night, shanghai(2026, 10, 3, 0, 0))
    assert is_open(night, shanghai(2026, 10, 3, 1, 59))
    assert not is_open(night, shanghai(2026, 10, 3, 2, 0))
    assert next_opening(night, shanghai(2026, 10, 3, 2, 0)) == shanghai(2026, 10, 9, 22, 0)


# --- a zone with daylight saving time ---------------------------------------------------


def london(weekly):
    return parse_hours({"time_zone": "Europe/London", "weekly": weekly})


def test_it_follows_the_wall_clock_across_dst():
    hours = london({"mon": [["09:00", "17:00"]]})

    # Summer (BST, UTC+1): 09:00 local is 08:00 UTC. Winter (GMT): 09:00 UTC.
    assert is_open(hours, datetime(2026, 7, 6, 8, 0, tzinfo=UTC))
    assert not is_open(hours, datetime(2026, 7, 6, 7, 59, tzinfo=UTC))
    assert not is_open(hours, datetime(2026, 1, 5, 8, 30, tzinfo=UTC))
    assert is_open(hours, datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    # The Monday after the clocks go back (25 October 2026).
    assert next_opening(hours, datetime(2026, 10, 24, 12, 0, tzinfo=UTC)) == datetime(
        2026, 10, 26, 9, 0, tzinfo=UTC
    )
    assert next_opening(hours, datetime(2026, 3, 28, 12, 0, tzinfo=UTC)) == datetime(
        2026, 3, 30, 8, 0, tzinfo=UTC
    )


def test_an_interval_straddling_the_spring_gap_opens_when_the_clocks_jump():
    # 29 March 2026: 01:00 GMT becomes 02:00 BST; 01:30 never happens.
    hours = london({"sun": [["01:30", "03:00"]]})
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)

    assert not is_open(hours, jump - timedelta(seconds=1))
    assert is_open(hours, jump)
    assert next_opening(hours, datetime(2026, 3, 28, 12, 0, tzinfo=UTC)) == jump


def test_an_interval_inside_the_spring_gap_never_opens_that_day():
    hours = london({"sun": [["01:15", "01:45"]]})

    found = next_opening(hours, datetime(2026, 3, 28, 12, 0, tzinfo=UTC))

    assert found == local(LONDON, 2026, 4, 5, 1, 15)


def test_the_repeated_autumn_hour_is_open_twice():
    # 25 October 2026: 02:00 BST becomes 01:00 GMT; 01:00-02:00 local happens twice.
    hours = london({"sun": [["01:00", "01:30"]]})
    first = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 01:00 BST
    second = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 01:00 GMT

    assert is_open(hours, first)
    assert not is_open(hours, first + timedelta(minutes=45))  # 01:45 BST
    assert is_open(hours, second)
    assert next_opening(hours, datetime(2026, 10, 24, 12, 0, tzinfo=UTC)) == first
    assert next_opening(hours, first + timedelta(minutes=45)) == second


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(at=instants, zone=st.sampled_from(["Asia/Shanghai", "Europe/London", "America/New_York"]))
def test_next_opening_is_open_and_the_moment_before_was_not(at, zone):
    hours = parse_hours(
        {**BANK, "time_zone": zone, "special_days": {"2026-03-29": [["01:30", "03:00"]]}}
    )

    found = next_opening(hours, at)

    assert found is not None and found >= at
    assert is_open(hours, found)
    if found != at:
        assert not is_open(hours, found - timedelta(microseconds=1))
        # Closed throughout: sample the wait every ten minutes.
        probe = at
        while probe < found:
            assert not is_open(hours, probe)
            probe += timedelta(minutes=10)


# --- the JSON form --------------------------------------------------------------------


def test_it_round_trips_its_json_form(bank):
    again = parse_hours(bank.as_json())

    assert again == bank
    assert bank.as_json()["weekly"]["sat"] == []
    assert bank.as_json()["weekly"]["mon"] == WORKDAY
    assert bank.as_json()["holidays"][0] == "2026-10-01"


def test_it_sorts_intervals():
    hours = parse_hours(
        {"time_zone": "UTC", "weekly": {"mon": [["13:00", "14:00"], ["09:00", "10:00"]]}}
    )

    assert hours.as_json()["weekly"]["mon"] == [["09:00", "10:00"], ["13:00", "14:00"]]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"opening": 1}, "hours.opening", "unknown field"),
        ({"time_zone": "Mars/Olympus"}, "hours.time_zone", "unknown time zone"),
        ({"time_zone": "../etc/passwd"}, "hours.time_zone", "IANA"),
        ({"time_zone": 8}, "hours.time_zone", "IANA"),
        ({"weekly": {"monday": []}}, "hours.weekly.monday", "unknown day"),
        ({"weekly": {"mon": [["22:00", "02:00"]]}}, "hours.weekly.mon[0]", "cannot cross midnight"),
        ({"weekly": {"mon": [["9:00", "12:00"]]}}, "hours.weekly.mon[0]", "HH:MM"),
        ({"weekly": {"mon": [["24:00", "24:00"]]}}, "hours.weekly.mon[0]", "before the end"),
        ({"weekly": {"mon": [["09:00", "24:01"]]}}, "hours.weekly.mon[0]", "HH:MM"),
        ({"weekly": {"mon": [["09:00"]]}}, "hours.weekly.mon[0]", "a start and an end"),
        (
            {"weekly": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}},
            "hours.weekly.mon",
            "overlap",
        ),
        ({"weekly": {"mon": "09:00-17:00"}}, "hours.weekly.mon", "list"),
        ({"weekly": []}, "hours.weekly", "object of weekdays"),
        ({"holidays": ["2026-10-01", "2026-10-01"]}, "hours.holidays[1]", "listed twice"),
        ({"holidays": ["2026-02-30"]}, "hours.holidays[0]", "YYYY-MM-DD"),
        ({"holidays": ["20261001"]}, "hours.holidays[0]", "YYYY-MM-DD"),
        ({"special_days": {"2026-10-03": WORKDAY}}, "hours.special_days.2026-10-03", "holiday"),
        ({"special_days": {"2026-10-10": []}}, "hours.special_days.2026-10-10", "at least one"),
    ],
)
def test_it_refuses_bad_hours_naming_the_field(change, field, words):
    with pytest.raises(HoursError) as refused:
        parse_hours({**BANK, **change})

    assert refused.value.field == field
    assert words in str(refused.value)
    assert str(refused.value).startswith(f"{field}: ")


def test_it_refuses_what_is_not_an_object_and_a_missing_time_zone():
    with pytest.raises(HoursError, match=r"^hours: expected an object"):
        parse_hours([])
    with pytest.raises(HoursError, match=r"^hours\.time_zone: required"):
        parse_hours({"weekly": {}})
    with pytest.raises(HoursError, match=r"^hours\.weekly: required"):
        parse_hours({"time_zone": "UTC"})


def test_it_limits_the_number_of_dates():
    many = [(datetime(2026, 1, 1) + timedelta(days=n)).date().isoformat() for n in range(1001)]

    with pytest.raises(HoursError, match="at most 1000"):
        parse_hours({**BANK, "holidays": many, "special_days": {}})


def test_it_says_when_the_machine_has_no_time_zone_database(monkeypatch):
    def missing(key):
        raise ZoneInfoNotFoundError(key)

    monkeypatch.setattr(hours_module, "ZoneInfo", missing)
    monkeypatch.setattr(hours_module, "available_timezones", set)

    with pytest.raises(HoursError, match=r"no time zone database.*tzdata"):
        parse_hours(BANK)


def test_it_refuses_a_naive_instant(bank):
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(bank, datetime(2026, 10, 1, 9, 0))

"""`frappe.utils`: the rest of Frappe's date and time helpers (utils.py has the everyday ones).

Formats follow System Settings (`frappe.get_system_settings`: date_format, time_format,
first_day_of_the_week, time_zone), read from site_config.json.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import time as _time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from webapp.errors import ValidationError
from webapp.script_api import calls
from webapp.script_api.calls import system_setting
from webapp.script_api.utils import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    add_days,
    add_months,
    cint,
    flt,
    formatdate,
    get_datetime,
    getdate,
    now_datetime,
    time_diff,
)

TIME_FORMAT = "%H:%M:%S.%f"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def is_invalid_date_string(date_string: Any) -> bool:
    return not isinstance(date_string, str) or not date_string or date_string.startswith(("0001-01-01", "0000-00-00"))


def _parse_timedelta(text: str) -> dt.timedelta:
    text = text.strip()
    days = 0
    if " day" in text:  # str(timedelta): "1 day, 2:00:00"
        head, _, text = text.partition(",")
        days = int(head.split()[0])
        text = text.strip()
    parts = text.split(":")
    if not 1 <= len(parts) <= 3:
        raise ValueError(text)
    hours, minutes = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    seconds = float(parts[2]) if len(parts) > 2 else 0.0
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def to_timedelta(time_str: Any) -> Any:
    """"HH:MM:SS" as a timedelta; anything else is returned as it is (as in Frappe)."""
    if isinstance(time_str, str):
        try:
            return _parse_timedelta(time_str)
        except ValueError:
            raise ValidationError(f"{time_str!r} is not a time (use HH:MM:SS)") from None
    return time_str


def get_timedelta(time: Any = "") -> dt.timedelta | None:
    """A time of day or "HH:MM:SS" as a timedelta since midnight; None when it is not one."""
    if isinstance(time, dt.timedelta):
        return time
    if isinstance(time, dt.time):
        return dt.timedelta(hours=time.hour, minutes=time.minute, seconds=time.second,
                            microseconds=time.microsecond)
    try:
        return _parse_timedelta(str(time))
    except ValueError:
        return None


def get_time(time_str: Any) -> dt.time:
    if isinstance(time_str, dt.datetime):
        return time_str.time()
    if isinstance(time_str, dt.time):
        return time_str
    if isinstance(time_str, dt.timedelta):
        return (dt.datetime.min + time_str).time()
    delta = get_timedelta(time_str)
    if delta is None or not dt.timedelta(0) <= delta < dt.timedelta(days=1):
        raise ValidationError(f"{time_str!r} is not a time of day (use HH:MM:SS)")
    return (dt.datetime.min + delta).time()


def month_diff(string_ed_date: Any, string_st_date: Any) -> int:
    """Months from start to end, counting both (Frappe's: 2024-01-31, 2024-01-01 -> 1)."""
    end, start = getdate(string_ed_date), getdate(string_st_date)
    return (end.year - start.year) * 12 + end.month - start.month + 1


def get_timestamp(date: Any) -> float:
    return _time.mktime(getdate(date).timetuple())


def get_eta(from_time: Any, percent_complete: Any) -> str:
    elapsed = time_diff(now_datetime(), from_time).total_seconds()
    percent = flt(percent_complete)
    if percent <= 0:
        raise ValidationError("get_eta needs a percent_complete above 0")
    return str(dt.timedelta(seconds=int((100 - percent) / percent * elapsed)))


def get_system_timezone() -> str:
    return str(system_setting("time_zone"))


def convert_utc_to_system_timezone(utc_timestamp: Any) -> dt.datetime:
    return _to_zone(utc_timestamp, get_system_timezone())


_zones: dict[str, ZoneInfo] = {}


def _zone(name: str) -> ZoneInfo:
    """A time zone by its IANA name: from the zone files here, or where they cannot be read (a
    script host opens no files), from the app (`tz_data`), then kept."""
    found = _zones.get(name)
    if found is not None:
        return found
    try:
        found = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"Unknown time zone {name!r}") from None
    except OSError:
        data = calls.tz_data(name)
        if not data:
            raise ValidationError(f"Unknown time zone {name!r}") from None
        found = ZoneInfo.from_file(io.BytesIO(data), key=name)
    if len(_zones) < 600:
        _zones[name] = found
    return found


def _to_zone(utc_timestamp: Any, zone: str) -> dt.datetime:
    value = get_datetime(utc_timestamp)
    target = _zone(str(zone))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(target)


def get_datetime_in_timezone(time_zone: str) -> dt.datetime:
    return _to_zone(dt.datetime.now(dt.UTC), time_zone)


def _out(value: dt.date, as_str: bool) -> Any:
    return value.strftime(DATE_FORMAT) if as_str else value


def get_quarter_start(date: Any = None, as_str: bool = False) -> Any:
    d = getdate(date)
    return _out(dt.date(d.year, (d.month - 1) // 3 * 3 + 1, 1), as_str)


def get_quarter_ending(date: Any = None) -> dt.date:
    start = get_quarter_start(date)
    return add_days(add_months(start, 3), -1)


def get_year_start(date: Any = None, as_str: bool = False) -> Any:
    return _out(dt.date(getdate(date).year, 1, 1), as_str)


def get_year_ending(date: Any = None) -> dt.date:
    return dt.date(getdate(date).year, 12, 31)


def _week_start_offset() -> int:
    first = str(system_setting("first_day_of_the_week"))
    return WEEKDAYS.index(first) if first in WEEKDAYS else 6


def get_first_day_of_week(date: Any = None, as_str: bool = False) -> Any:
    d = getdate(date)
    back = (d.weekday() - _week_start_offset()) % 7
    return _out(d - dt.timedelta(days=back), as_str)


def get_last_day_of_week(date: Any = None) -> dt.date:
    return get_first_day_of_week(date) + dt.timedelta(days=6)


def get_datetime_str(datetime_obj: Any) -> str:
    return get_datetime(datetime_obj).strftime(DATETIME_FORMAT)


def get_date_str(date_obj: Any) -> str:
    return getdate(date_obj).strftime(DATE_FORMAT)


def get_time_str(timedelta_obj: Any) -> str:
    delta = to_timedelta(timedelta_obj)
    hours, rest = divmod(delta.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes}:{seconds}"


def get_user_date_format() -> str:
    return str(system_setting("date_format"))


def get_user_time_format() -> str:
    return str(system_setting("time_format"))


def format_date(string_date: Any = None, format_string: str | None = None) -> str:
    return formatdate(string_date, format_string)


_TIME_TOKENS = (("HH", "%H"), ("hh", "%I"), ("mm", "%M"), ("ss", "%S"), ("a", "%p"))


def format_time(time_string: Any = None, format_string: str | None = None) -> str:
    """A time in the system's time format (Frappe's tokens: HH, hh, mm, ss, a)."""
    value = get_time(time_string) if time_string is not None else now_datetime().time()
    fmt = format_string or get_user_time_format()
    for token, directive in _TIME_TOKENS:
        fmt = fmt.replace(token, directive)
    return value.strftime(fmt)


def format_duration(seconds: Any, hide_days: bool = False) -> str:
    """1d 2h 3m 4s (hours instead of days with hide_days)."""
    total = cint(seconds)
    days, hours = (0, total // 3600) if hide_days else (total // 86400, total % 86400 // 3600)
    parts = [(days, "d"), (hours, "h"), (total % 3600 // 60, "m"), (total % 60, "s")]
    return " ".join(f"{n}{unit}" for n, unit in parts if n)


def get_weekdays() -> list[str]:
    return list(WEEKDAYS)


def get_weekday(datetime: Any = None) -> str:
    return WEEKDAYS[get_datetime(datetime).weekday() if datetime is not None else now_datetime().weekday()]


def get_month(date: Any = None) -> str:
    return calendar.month_name[getdate(date).month]


def global_date_format(date: Any, format: str = "long") -> str:  # noqa: A002 - Frappe's parameter name
    """A date in words ("January 5, 2024"; format "medium": "Jan 5, 2024", "short": "1/5/24",
    "full": "Friday, January 5, 2024")."""
    d = getdate(date)
    if format == "short":
        return f"{d.month}/{d.day}/{d.strftime('%y')}"
    if format == "medium":
        return f"{d.strftime('%b')} {d.day}, {d.year}"
    text = f"{calendar.month_name[d.month]} {d.day}, {d.year}"
    return f"{WEEKDAYS[d.weekday()]}, {text}" if format == "full" else text


def get_timespan_date_range(timespan: str) -> tuple[dt.date, dt.date]:
    """(start, end) of "today", "this week", "last month", "next quarter", "last 6 months" ..."""
    today = dt.date.today()
    span = str(timespan).strip().lower()
    periods = {
        "week": (get_first_day_of_week, relativedelta(weeks=1)),
        "month": (lambda d: d.replace(day=1), relativedelta(months=1)),
        "quarter": (get_quarter_start, relativedelta(months=3)),
        "6 months": (lambda d: d.replace(day=1) - relativedelta(months=5), relativedelta(months=6)),
        "year": (get_year_start, relativedelta(years=1)),
    }
    days = {"yesterday": -1, "today": 0, "tomorrow": 1}
    if span in days:
        d = today + dt.timedelta(days=days[span])
        return d, d
    which, _, unit = span.partition(" ")
    if which in ("this", "last", "next") and unit in periods:
        start_of, length = periods[unit]
        if unit == "6 months":  # Frappe: the six months before today, or after it
            if which == "last":
                return today - relativedelta(months=6), today
            if which == "next":
                return today, today + relativedelta(months=6)
        start = start_of(today)
        if which == "last":
            start = start_of(start - length)
        elif which == "next":
            start = start + length
        return start, start + length - dt.timedelta(days=1)
    raise ValidationError(f"Unknown timespan {timespan!r}: use today, yesterday, tomorrow, or this/last/next "
                          "week, month, quarter, 6 months or year")


NAMES = (
    "TIME_FORMAT is_invalid_date_string to_timedelta get_timedelta get_time month_diff get_timestamp get_eta "
    "get_system_timezone convert_utc_to_system_timezone get_datetime_in_timezone get_quarter_start get_quarter_ending "
    "get_year_start get_year_ending get_first_day_of_week get_last_day_of_week get_datetime_str get_date_str "
    "get_time_str get_user_date_format get_user_time_format format_date format_time format_duration get_weekdays "
    "get_weekday get_month global_date_format get_timespan_date_range"
).split()

"""`frappe.utils`: Frappe's date, number and text helpers that scripts reach for."""

from __future__ import annotations

import calendar
import datetime as dt
import html
import json
import math
import re
import secrets
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta

from webapp.documents.coerce import to_date, to_datetime
from webapp.errors import ValidationError
from webapp.sandbox.guards import check_parse_size
from webapp.script_api.calls import site_url, system_setting

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def now_datetime() -> dt.datetime:
    return dt.datetime.now()


def nowdate() -> str:
    return dt.date.today().strftime(DATE_FORMAT)


today = nowdate


def now() -> str:
    return now_datetime().strftime(DATETIME_FORMAT)


def nowtime() -> str:
    return now_datetime().strftime("%H:%M:%S.%f")


def getdate(value: Any = None) -> dt.date | None:
    if value is None:
        return dt.date.today()
    try:
        return to_date(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{value!r} is not a valid date (use YYYY-MM-DD)") from None


def get_datetime(value: Any = None) -> dt.datetime | None:
    if value is None:
        return now_datetime()
    try:
        return to_datetime(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{value!r} is not a valid date and time") from None


def _keep_type(original: Any, result: dt.date) -> Any:
    if isinstance(original, str):
        return result.strftime(DATETIME_FORMAT if isinstance(result, dt.datetime) and len(original) > 10 else DATE_FORMAT)
    return result


def add_to_date(date: Any = None, years: int = 0, months: int = 0, weeks: int = 0, days: int = 0, hours: int = 0,
                minutes: int = 0, seconds: int = 0, as_string: bool = False, as_datetime: bool = False) -> Any:
    base: Any = now_datetime() if date is None else date
    if isinstance(base, str):
        base = get_datetime(base) if len(base.strip()) > 10 or as_datetime or hours or minutes or seconds else getdate(base)
    result = base + relativedelta(years=years, months=months, weeks=weeks, days=days, hours=hours, minutes=minutes,
                                  seconds=seconds)
    if as_string:
        return result.strftime(DATETIME_FORMAT if isinstance(result, dt.datetime) else DATE_FORMAT)
    return result if not isinstance(date, str) else _keep_type(date, result)


def add_days(date: Any, days: int) -> Any:
    return add_to_date(date, days=int(days))


def add_months(date: Any, months: int) -> Any:
    return add_to_date(date, months=int(months))


def add_years(date: Any, years: int) -> Any:
    return add_to_date(date, years=int(years))


def date_diff(end: Any, start: Any) -> int:
    return (getdate(end) - getdate(start)).days


def time_diff(end: Any, start: Any) -> dt.timedelta:
    return get_datetime(end) - get_datetime(start)


def time_diff_in_seconds(end: Any, start: Any) -> float:
    return time_diff(end, start).total_seconds()


def time_diff_in_hours(end: Any, start: Any) -> float:
    return round(time_diff_in_seconds(end, start) / 3600, 6)


def get_first_day(date: Any = None, d_years: int = 0, d_months: int = 0) -> dt.date:
    d = getdate(date) + relativedelta(years=d_years, months=d_months)
    return d.replace(day=1)


def get_last_day(date: Any = None) -> dt.date:
    d = getdate(date)
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def formatdate(date: Any = None, format_string: str | None = None) -> str:
    d = getdate(date)
    if d is None:
        return ""
    fmt = (format_string or system_setting("date_format")).replace("dd", "%d").replace("mm", "%m")
    fmt = fmt.replace("yyyy", "%Y")
    return d.strftime(fmt)


def format_datetime(value: Any = None, format_string: str | None = None) -> str:
    d = get_datetime(value)
    return d.strftime(format_string or "%d-%m-%Y %H:%M:%S") if d else ""


def flt(value: Any, precision: int | None = None) -> float:
    try:
        number = float(str(value).replace(",", "")) if isinstance(value, str) else float(value or 0)
    except (TypeError, ValueError):
        number = 0.0
    if number != number or number in (math.inf, -math.inf):
        number = 0.0
    return rounded(number, precision) if precision is not None else number


def cint(value: Any, default: int = 0) -> int:
    try:
        return int(float(value)) if not isinstance(value, bool) else int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def cstr(value: Any, encoding: str = "utf-8") -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode(encoding, "replace")
    return str(value)


def rounded(num: Any, precision: int | None = 0, rounding_method: str | None = None) -> float:
    precision = cint(precision)
    quant = Decimal(1).scaleb(-precision)
    mode = ROUND_HALF_UP if rounding_method == "Commercial Rounding" else ROUND_HALF_EVEN
    value = float(Decimal(str(flt(num))).quantize(quant, rounding=mode))
    return value if precision else float(int(value))


def floor(value: Any) -> int:
    return math.floor(flt(value))


def ceil(value: Any) -> int:
    return math.ceil(flt(value))


def fmt_money(amount: Any, precision: int = 2, currency: str | None = None) -> str:
    text = f"{flt(amount):,.{cint(precision)}f}"
    return f"{currency} {text}" if currency else text


_ONES = ("Zero One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen Fourteen Fifteen Sixteen "
         "Seventeen Eighteen Nineteen").split()
_TENS = "Twenty Thirty Forty Fifty Sixty Seventy Eighty Ninety".split()


def _words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10 - 2] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " Hundred" + ("" if n % 100 == 0 else " and " + _words(n % 100))
    for size, word in ((10**12, "Trillion"), (10**9, "Billion"), (10**6, "Million"), (1000, "Thousand")):
        if n >= size:
            return _words(n // size) + f" {word}" + ("" if n % size == 0 else " " + _words(n % size))
    return ""


def money_in_words(number: Any, main_currency: str = "USD", fraction_currency: str = "Cent") -> str:
    amount = round(flt(number), 2)
    if abs(amount) >= 10**15:
        raise ValidationError("Amount too large to write in words")
    whole, fraction = int(abs(amount)), int(round((abs(amount) - int(abs(amount))) * 100))
    text = f"{main_currency} {_words(whole)}"
    if fraction:
        text += f" and {_words(fraction)} {fraction_currency}"
    return ("Minus " if amount < 0 else "") + text + " only."


_TAG = re.compile(r"<[^>]*>")


def strip_html(text: Any) -> str:
    return _TAG.sub("", cstr(text))


def escape_html(text: Any) -> str:
    return html.escape(cstr(text))


def pretty_date(value: Any) -> str:
    d = get_datetime(value)
    delta = now_datetime() - d
    secs = int(delta.total_seconds())
    if secs < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if secs >= size:
            n = secs // size
            if unit == "day" and n >= 7:
                weeks = n // 7
                return "1 week ago" if weeks == 1 else f"{weeks} weeks ago"
            return f"1 {unit} ago" if n == 1 else f"{n} {unit}s ago"
    return "just now"


def _comma(items: Any, word: str) -> str:
    items = [cstr(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def comma_and(items: Any, add_quotes: bool = True) -> str:
    return _comma([f"'{i}'" if add_quotes else i for i in items], "and")


def comma_or(items: Any, add_quotes: bool = True) -> str:
    return _comma([f"'{i}'" if add_quotes else i for i in items], "or")


def unique(seq: Any) -> list:
    return list(dict.fromkeys(seq))


def random_string(length: int) -> str:
    length = cint(length)
    if not 0 < length <= 1024:
        raise ValidationError("random_string length must be between 1 and 1024")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def generate_hash(txt: Any = None, length: int = 56) -> str:
    length = max(1, min(cint(length) or 56, 512))
    return secrets.token_hex((length + 1) // 2)[:length]


def get_url(uri: str | None = None) -> str:
    base = site_url()
    if not uri:
        return base
    return uri if uri.startswith(("http://", "https://")) else base + "/" + uri.lstrip("/")


def parse_json(value: Any) -> Any:
    if isinstance(value, str):
        check_parse_size(value, "parse_json()")
        try:
            return json.loads(value)
        except ValueError:
            raise ValidationError("Not valid JSON") from None
    return value


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_email_address(email: Any, throw: bool = False) -> str:
    found = [e.strip() for e in cstr(email).split(",") if _EMAIL.match(e.strip())]
    if not found and throw:
        raise ValidationError(f"{email} is not a valid email address")
    return ", ".join(found)


NAMES = (
    "DATE_FORMAT DATETIME_FORMAT "
    "nowdate today now nowtime now_datetime getdate get_datetime add_days add_months add_years add_to_date "
    "date_diff time_diff time_diff_in_seconds time_diff_in_hours get_first_day get_last_day formatdate "
    "format_datetime flt cint cstr rounded floor ceil fmt_money money_in_words strip_html escape_html pretty_date "
    "comma_and comma_or unique random_string generate_hash get_url parse_json validate_email_address"
).split()

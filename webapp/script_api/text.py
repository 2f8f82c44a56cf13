"""`frappe.utils`: the rest of Frappe's number, text, link and filter helpers (utils.py has the
everyday ones)."""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import re
from html import escape
from typing import Any
from urllib.parse import quote, urlparse

import markdown as md

from webapp.attrdict import AttrDict
from webapp.errors import ValidationError
from webapp.script_api.calls import request_host, user_info
from webapp.script_api.utils import _words, cint, cstr, flt, get_url, getdate

# -- numbers -----------------------------------------------------------------------------------


def has_common(l1: Any, l2: Any) -> set:
    """The items two lists share (a set: truthy when they share any)."""
    return set(l1) & set(l2)


def is_subset(list_a: Any, list_b: Any) -> bool:
    return set(list_a) <= set(list_b)


def remainder(numerator: Any, denominator: Any, precision: int = 2) -> float:
    precision = cint(precision)
    if not flt(denominator):
        raise ValidationError("remainder: the denominator is zero")
    scale = 10**precision
    if precision:
        return flt((flt(numerator) * scale) % (flt(denominator) * scale) / scale, precision)
    return flt(flt(numerator) % flt(denominator), precision)


def safe_div(numerator: Any, denominator: Any, precision: int = 2) -> float:
    """numerator / denominator, 0.0 when the denominator is zero."""
    denominator = flt(denominator)
    return flt(flt(numerator) / denominator if denominator else 0.0, precision)


def round_based_on_smallest_currency_fraction(value: Any, currency: Any = None, precision: int = 2) -> float:
    """Frappe rounds to the currency's smallest fraction when one is set; there are no Currency
    documents here, so (as in Frappe with none set) the value is rounded to `precision`."""
    return flt(value, precision)


def encode(obj: Any, encoding: str = "utf-8") -> Any:
    return obj.encode(encoding) if isinstance(obj, str) else obj


def parse_val(v: Any) -> Any:
    """A query result value as simple data: dates as text, times as HH:MM."""
    if isinstance(v, (dt.date, dt.datetime)):
        return str(v)
    if isinstance(v, dt.timedelta):
        return ":".join(str(v).split(":")[:2])
    return v


def get_number_format_info(format: str) -> tuple[str, str, int]:  # noqa: A002 - Frappe's name
    """("decimal", "thousands", precision) of a number format such as "#,###.##" or "#.###,##"."""
    text = str(format or "#,###.##")
    if not re.fullmatch(r"#[#,.' ]*", text):
        raise ValidationError(f"{format!r} is not a number format such as #,###.##")
    last = max(text.rfind("."), text.rfind(","))
    tail = text[last + 1:] if last >= 0 else ""
    if last >= 0 and tail.count("#") <= 3 and tail and not (text.count(text[last]) > 1):
        decimal, precision, head = text[last], len(tail), text[:last]
    else:
        decimal, precision, head = "", 0, text
    thousands = "".join(sorted({c for c in head if c in ",.' "}, key=head.index))
    return decimal, thousands, precision


_INDIAN = ((10**7, "Crore"), (10**5, "Lakh"), (1000, "Thousand"))


def _indian_words(n: int) -> str:
    for size, word in _INDIAN:
        if n >= size:
            rest = n % size
            return _indian_words(n // size) + f" {word}" + (" " + _indian_words(rest) if rest else "")
    return _words(n)


def in_words(integer: Any, in_million: bool = True) -> str:
    """123 -> "one hundred and twenty-three" (Indian lakh and crore with in_million=False)."""
    n = cint(integer)
    if abs(n) >= 10**15:
        raise ValidationError("in_words: number too large")
    words = (_words(abs(n)) if in_million else _indian_words(abs(n))).lower()
    return ("minus " if n < 0 else "") + words


def get_abbr(txt: Any, max_len: int = 2) -> str:
    abbr = ""
    for part in cstr(txt).split(" "):
        if len(abbr) < cint(max_len) and part:
            abbr += part[0]
    return abbr.upper() or "?"


def sha256_hash(data: Any) -> str:
    return hashlib.sha256(encode(cstr(data) if not isinstance(data, bytes) else data)).hexdigest()


# -- text --------------------------------------------------------------------------------------
_HTML_TAG = re.compile(r"<[^>]+>")


def is_html(text: Any) -> bool:
    return isinstance(text, str) and _HTML_TAG.search(text) is not None


def is_image(filepath: Any) -> bool:
    return (mimetypes.guess_type(cstr(filepath))[0] or "").startswith("image/")


def strip(val: Any, chars: str | None = None) -> str:
    """str.strip that also removes zero-width spaces and byte-order marks."""
    return cstr(val).replace("\ufeff", "").replace("\u200b", "").strip(chars)


def comma_sep(some_list: Any, pattern: str, add_quotes: bool = True) -> str:
    """["a", "b", "c"] with "{0} and {1}" -> "'a', 'b' and 'c'" (only {0} and {1} are filled)."""
    items = [cstr(s) for s in (some_list or [])]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    items = [f"'{s}'" if add_quotes else s for s in items]
    parts = {"0": ", ".join(items[:-1]), "1": items[-1]}
    # Not str.format: the pattern comes from the script, and "{0.__class__}" must stay text.
    return re.sub(r"\{([01])\}", lambda m: parts[m.group(1)], cstr(pattern))


def new_line_sep(some_list: Any) -> str:
    items = [cstr(s) for s in (some_list or [])]
    return "\n ".join(items)


def filter_strip_join(some_list: Any, sep: Any) -> str:
    return cstr(sep).join(cstr(a).strip() for a in filter(None, some_list or []))


def md_to_html(markdown_text: Any) -> str:
    """Markdown to HTML (the `markdown` package; tables and fenced code)."""
    text = cstr(markdown_text)
    if len(text) > 1_000_000:
        raise ValidationError("md_to_html: text over 1,000,000 characters")
    return md.markdown(text, extensions=["tables", "fenced_code"])


def markdown(text: Any, sanitize: bool = True, linkify: bool = True) -> str:
    return md_to_html(text)


# -- links ------------------------------------------------------------------------------------
def quoted(url: Any) -> str:
    return quote(cstr(url), safe="~@#$&()*!+=:;,.?/'")


def _slug(doctype: str) -> str:
    return cstr(doctype).lower().replace(" ", "-")


def get_absolute_url(doctype: Any, name: Any) -> str:
    return f"/app/{quoted(_slug(doctype))}/{quoted(name)}"


def get_url_to_form(doctype: Any, name: Any) -> str:
    return get_url(uri=get_absolute_url(doctype, name))


def get_url_to_list(doctype: Any) -> str:
    return get_url(uri=f"/app/{quoted(_slug(doctype))}")


def get_link_to_form(doctype: Any, name: Any, label: Any = None) -> str:
    return f'<a href="{escape(get_url_to_form(doctype, name))}">{escape(cstr(label or name))}</a>'


def get_host_name_from_request() -> str:
    return request_host() or urlparse(get_url()).netloc


def get_host_name() -> str:
    return urlparse(get_url()).hostname or ""


def url_contains_port(url: Any) -> bool:
    try:
        return urlparse(cstr(url)).port is not None
    except ValueError:
        return False


_RELATIVE = re.compile(r"""((?:src|href)\s*=\s*)(['"])(?!\w+:|//|#|mailto:)/?([^'"]*)\2""", re.I)


def expand_relative_urls(html: Any) -> str:
    """Relative src/href in HTML made absolute with this site's URL (for emails)."""
    base = get_url()
    return _RELATIVE.sub(lambda m: f"{m.group(1)}{m.group(2)}{base}/{m.group(3)}{m.group(2)}", cstr(html))


_URL_IN_ATTR = re.compile(r"""((?:src|href)\s*=\s*)(['"])(\w+://[^'"]*)\2""", re.I)


def quote_urls(html: Any) -> str:
    return _URL_IN_ATTR.sub(lambda m: f"{m.group(1)}{m.group(2)}{quoted(m.group(3))}{m.group(2)}", cstr(html))


def scrub_urls(html: Any) -> str:
    return quote_urls(expand_relative_urls(html))


def get_user_info_for_avatar(user_id: Any) -> dict:
    return user_info(cstr(user_id))


# -- filters ----------------------------------------------------------------------------------
_OPERATORS = ("=", "!=", ">", "<", ">=", "<=", "in", "not in", "like", "not like", "is", "between", "not set", "set")


def _like(value: Any, pattern: Any) -> bool:
    regex = "^" + re.escape(cstr(pattern)).replace("%", ".*").replace("_", ".") + "$"
    return re.match(regex, cstr(value), re.I | re.S) is not None


def compare(val1: Any, condition: str, val2: Any, fieldtype: str | None = None) -> bool:
    """Frappe's filter comparison: val1 <condition> val2."""
    op = cstr(condition).strip().lower()
    if fieldtype in ("Float", "Currency", "Int", "Check"):
        val1 = flt(val1)
        val2 = [flt(v) for v in val2] if isinstance(val2, (list, tuple)) else flt(val2)
    elif fieldtype in ("Date", "Datetime") and val1 and op not in ("is", "in", "not in", "between"):
        val1, val2 = getdate(val1), getdate(val2)
    if op in ("in", "not in"):
        options = val2 if isinstance(val2, (list, tuple, set)) else [v.strip() for v in cstr(val2).split(",")]
        return (val1 in options) == (op == "in")
    if op == "between":
        low, high = val2
        return low <= val1 <= high
    if op in ("like", "not like"):
        return _like(val1, val2) == (op == "like")
    if op == "is":
        is_set = val1 not in (None, "")
        return is_set if cstr(val2).lower() == "set" else not is_set
    try:
        return {"=": val1 == val2, "!=": val1 != val2}[op] if op in ("=", "!=") else {
            ">": lambda: val1 > val2, "<": lambda: val1 < val2, ">=": lambda: val1 >= val2,
            "<=": lambda: val1 <= val2}[op]()
    except KeyError:
        raise ValidationError(f"Unknown filter operator {condition!r}; use one of {', '.join(_OPERATORS)}") from None
    except TypeError:
        return False


def make_filter_tuple(doctype: str, key: str, value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return [doctype, key, value[0], value[1]]
    return [doctype, key, "=", value]


def make_filter_dict(filters: Any) -> dict:
    """[[doctype, field, op, value], ...] as {field: [op, value]}."""
    out = AttrDict()
    for f in filters or []:
        out[f[1]] = [f[2], f[3]]
    return out


def get_filter(doctype: str | None, f: Any, filters_config: Any = None) -> dict:
    """One filter in any of Frappe's shapes, as {doctype, fieldname, operator, value}."""
    if isinstance(f, dict):
        key, value = next(iter(f.items()))
        f = make_filter_tuple(doctype, key, value)
    f = list(f)
    if len(f) == 3:
        f = [doctype, *f]
    if len(f) != 4:
        raise ValidationError("Filter must have 3 or 4 items: (doctype,) fieldname, operator, value")
    out = AttrDict(doctype=f[0], fieldname=f[1], operator=cstr(f[2]).lower(), value=f[3])
    if out.operator not in _OPERATORS:
        raise ValidationError(f"Unknown filter operator {f[2]!r}; use one of {', '.join(_OPERATORS)}")
    return out


def evaluate_filters(doc: Any, filters: Any) -> bool:
    """True when the document (or dict) matches every filter."""
    items = filters.items() if isinstance(filters, dict) else [(None, f) for f in filters or []]
    for key, value in items:
        f = get_filter(None, {key: value} if key is not None else value)
        current = doc.get(f.fieldname)
        if not compare(current, f.operator, f.value):
            return False
    return True


_SQL_WORDS = re.compile(r"\b(select|union|insert|update|delete|drop|alter|create|truncate|sleep|benchmark|"
                        r"load_file|outfile|information_schema|pg_\w+)\b", re.I)


def sanitize_column(column_name: Any) -> None:
    """Refuse a column expression that could carry SQL (Frappe's check for order_by/fields text)."""
    text = cstr(column_name)
    if re.search(r";|--|/\*|#", text) or _SQL_WORDS.search(text) or not re.fullmatch(r"[\w\s`\".,*()]*", text):
        raise ValidationError(f"Invalid field name {text!r}")


NAMES = (
    "has_common is_subset remainder safe_div round_based_on_smallest_currency_fraction encode parse_val "
    "get_number_format_info in_words get_abbr sha256_hash is_html is_image strip comma_sep new_line_sep "
    "filter_strip_join md_to_html markdown quoted get_absolute_url get_url_to_form get_url_to_list get_link_to_form "
    "get_host_name_from_request get_host_name url_contains_port expand_relative_urls quote_urls scrub_urls "
    "get_user_info_for_avatar compare make_filter_tuple make_filter_dict get_filter evaluate_filters sanitize_column"
).split()

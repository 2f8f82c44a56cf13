"""The smaller rest of Frappe's script namespace: `orjson` (its interface, on the standard json),
`frappe.website` helpers, `frappe.sanitize_html`, `frappe.get_gravatar`, `frappe.get_hooks`,
`frappe.json_handler`, `style` and `dev_server`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

import nh3

from webapp.attrdict import AttrDict
from webapp.errors import ValidationError
from webapp.jsonenc import to_jsonable
from webapp.sandbox import ReadOnlyNamespace
from webapp.sandbox.guards import check_parse_size
from webapp.script_api import run
from webapp.script_api.calls import system_setting
from webapp.script_api.text import md_to_html
from webapp.script_api.utils import cstr, get_url

# -- orjson --------------------------------------------------------------------------------------
_OPTS = ("APPEND_NEWLINE", "INDENT_2", "NAIVE_UTC", "NON_STR_KEYS", "OMIT_MICROSECONDS", "PASSTHROUGH_DATACLASS",
         "PASSTHROUGH_DATETIME", "PASSTHROUGH_SUBCLASS", "SERIALIZE_DATACLASS", "SERIALIZE_NUMPY", "SERIALIZE_UUID",
         "SORT_KEYS", "STRICT_INTEGER", "UTC_Z")
OPT = {name: 1 << i for i, name in enumerate(_OPTS)}


def json_handler(obj: Any) -> Any:
    """Frappe's JSON `default=`: dates, times, decimals, sets and documents as JSON values."""
    return to_jsonable(obj)


def _orjson_default(option: int, default: Any) -> Any:
    def convert(obj: Any) -> Any:
        if isinstance(obj, dt.datetime):
            if obj.tzinfo is None and option & OPT["NAIVE_UTC"]:
                obj = obj.replace(tzinfo=dt.UTC)
            if option & OPT["OMIT_MICROSECONDS"]:
                obj = obj.replace(microsecond=0)
            text = obj.isoformat()
            return text.replace("+00:00", "Z") if option & OPT["UTC_Z"] else text
        if default is not None:
            return default(obj)
        return json_handler(obj)

    return convert


def orjson_dumps(obj: Any, default: Any = None, option: Any = None) -> bytes:
    """orjson.dumps: compact UTF-8 JSON bytes; OPT_SORT_KEYS, OPT_INDENT_2, OPT_APPEND_NEWLINE,
    OPT_NON_STR_KEYS, OPT_NAIVE_UTC, OPT_UTC_Z, OPT_OMIT_MICROSECONDS and OPT_STRICT_INTEGER honoured."""
    option = int(option or 0)
    if option & OPT["NON_STR_KEYS"]:
        obj = _str_keys(obj)
    if option & OPT["STRICT_INTEGER"]:
        _check_53_bits(obj)
    text = json.dumps(obj, default=_orjson_default(option, default), sort_keys=bool(option & OPT["SORT_KEYS"]),
                      indent=2 if option & OPT["INDENT_2"] else None, ensure_ascii=False,
                      separators=(",", ": ") if option & OPT["INDENT_2"] else (",", ":"))
    if option & OPT["APPEND_NEWLINE"]:
        text += "\n"
    return text.encode("utf-8")


def _str_keys(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {(k if isinstance(k, str) else json_handler(k) if not isinstance(k, (int, float, bool)) or k is None
                 else json.dumps(k)): _str_keys(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_str_keys(v) for v in obj]
    return obj


def _check_53_bits(obj: Any) -> None:
    if isinstance(obj, int) and not isinstance(obj, bool) and abs(obj) > 2**53 - 1:
        raise ValidationError("Integer exceeds 53-bit range")
    if isinstance(obj, dict):
        for v in obj.values():
            _check_53_bits(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _check_53_bits(v)


def orjson_loads(data: Any) -> Any:
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data).decode("utf-8")
    check_parse_size(data, "orjson.loads()")
    return json.loads(data)


orjson = ReadOnlyNamespace("orjson", {f"OPT_{name}": value for name, value in OPT.items()},
                           dumps=orjson_dumps, loads=orjson_loads, JSONDecodeError=json.JSONDecodeError)

# -- frappe.website ---------------------------------------------------------------------------


def abs_url(path: Any) -> Any:
    """A site path made absolute ("x" -> "/x"); URLs and data: URIs as they are."""
    if not path:
        return path
    path = cstr(path)
    if path.startswith(("http://", "https://", "data:")):
        return path
    return path if path.startswith("/") else "/" + path


def extract_title(source: Any, path: Any) -> str:
    """The page title: the first <h1> of the HTML, else the last part of the path, titled."""
    found = re.search(r"<h1[^>]*>(.*?)</h1>", cstr(source), re.S | re.I)
    if found:
        title = re.sub(r"<[^>]+>", "", found.group(1)).strip()
        if title:
            return title
    last = cstr(path).rstrip("/").rsplit("/", 1)[-1]
    return last.replace("-", " ").replace("_", " ").title()


def get_home_page() -> str:
    """The route a user lands on: the desk ("app") for a signed-in user, else "login"."""
    ctx = run.current()
    return "app" if ctx is not None and ctx.user != "Guest" else "login"


def get_html_content_based_on_type(doc: Any, fieldname: str, content_type: str) -> str:
    """A document's content field as HTML: Markdown converted, HTML as it is."""
    content = cstr(doc.get(f"{fieldname}_{content_type.lower().replace(' ', '_')}") or doc.get(fieldname))
    return md_to_html(content) if content_type == "Markdown" else content


def get_boot_data() -> AttrDict:
    """What a page needs to start: language, system defaults, the site's name."""
    return AttrDict(lang=system_setting("language"), sitename=urlparse(get_url()).hostname or "",
                 sysdefaults=AttrDict(date_format=system_setting("date_format"),
                                   time_format=system_setting("time_format"),
                                   number_format=system_setting("number_format")))


website = ReadOnlyNamespace("frappe.website", abs_url=abs_url, extract_title=extract_title, get_home_page=get_home_page,
                            get_html_content_based_on_type=get_html_content_based_on_type,
                            get_boot_data=get_boot_data)

# -- the rest ---------------------------------------------------------------------------------


def sanitize_html(html: Any, linkify: bool = False, strip_comments: bool = True, always_sanitize: bool = False) -> Any:
    """HTML with only harmless tags and attributes left (nh3, Ammonia's rules); text without
    tags is returned as it is, as in Frappe."""
    if not isinstance(html, str):
        return html
    if not always_sanitize and not re.search(r"<[^>]+>", html):
        return html
    return nh3.clean(html, link_rel="nofollow noopener noreferrer", strip_comments=bool(strip_comments))


def get_gravatar(email: Any, default: str = "mm") -> str:
    """The Gravatar image URL of an email address (built here: no request is made)."""
    digest = hashlib.md5(cstr(email).strip().lower().encode(), usedforsecurity=False).hexdigest()
    return f"https://secure.gravatar.com/avatar/{digest}?d={default}&s=200"


def get_hooks(hook: Any = None, default: Any = None, app_name: Any = None) -> Any:
    """Frappe apps' hooks: there are no installable apps here, so a hook has its default (or [])."""
    if hook is None:
        return AttrDict()
    return default if default is not None else []


def add_trackers_to_url(url: Any, source: Any, campaign: Any, medium: Any = "email", content: Any = None) -> str:
    """The URL with utm_source, utm_medium, utm_campaign (and utm_content) query parameters."""
    parts = urlparse(cstr(url))
    query = dict(parse_qsl(parts.query))
    query.update({"utm_source": cstr(source), "utm_medium": cstr(medium), "utm_campaign": cstr(campaign)})
    if content:
        query["utm_content"] = cstr(content)
    return urlunparse(parts._replace(query=urlencode(query)))


def parse_and_map_trackers_from_url(url: Any) -> AttrDict:
    """The UTM parameters of a URL, under Frappe's field names (utm_source, utm_medium ...)."""
    query = dict(parse_qsl(urlparse(cstr(url)).query))
    return AttrDict({key: query[key] for key in ("utm_source", "utm_medium", "utm_campaign", "utm_content")
                  if key in query})


STYLE = ReadOnlyNamespace("style", border_color="#d1d8dd")  # Frappe's `style` global (print styles)
UTILS_NAMES = ("orjson_dumps", "add_trackers_to_url", "parse_and_map_trackers_from_url")

"""Outbound HTTP for scripts (`frappe.make_get_request` and friends): made here, in the app, for a
script that asks (a script never opens a connection itself). Frappe's replies.

A script's author must not reach the server's own network. Every hop (the first request and each
redirect, at most MAX_REDIRECTS) is vetted before it is made:

- only http/https, no credentials in the URL, no unusual IP spellings (`2130706433`, `0x7f.1`,
  `017700000001`, `127.1`): a host is a name or a canonical IP address;
- the host is resolved here and EVERY address must be public (no loopback, private, CGNAT,
  link-local/metadata, multicast, reserved, unspecified, nor an IPv6 form of one of those);
- the connection goes to the vetted address (pinned: the URL's host is replaced by the address,
  the Host header and TLS SNI/certificate check keep the name), so a DNS answer that changes
  between the check and the connect cannot switch it;
- hosts named in site config `server_script_allowed_hosts` skip the address check (intranet
  services), and nothing else does.

Time: connect and read within the script's remaining budget and at most MAX_TIMEOUT_S in all.
Size: the (decoded) reply is read in chunks and refused past MAX_RESPONSE_BYTES.
Replies: the parsed JSON when the reply says it is JSON, else the text; an HTTP error status is a
ValidationError naming it. Proxies from the environment are ignored.
"""

from __future__ import annotations

import ipaddress
import json as _json
import re
import socket
import time
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from flask import current_app
from requests.adapters import HTTPAdapter

from webapp.errors import ValidationError

MAX_REDIRECTS = 5
MAX_TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
MAX_URL_CHARS = 8192
_HOST_CHARS = re.compile(r"^[a-z0-9.\-_]+$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_STRIP_ON_HOST_CHANGE = ("authorization", "cookie", "proxy-authorization")
_REFUSED_HEADERS = ("host", "content-length", "transfer-encoding", "connection")


class OutboundRequestError(ValidationError):
    """A script's outbound request was refused or failed."""


# -- address policy -------------------------------------------------------------------------------
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def forbidden_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why `ip` may not be reached from a script, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = forbidden_reason(embedded)
            if inner:
                return f"{inner} (inside the IPv6 address {ip})"
    checks = (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
              ("multicast", ip.is_multicast), ("private", ip.is_private), ("reserved", ip.is_reserved))
    for name, hit in checks:
        if hit:
            return f"{name} address {ip}"
    if not ip.is_global:
        return f"non-public address {ip}"
    return None


def _allowed_hosts() -> set[str]:
    try:
        value = current_app.extensions["site_config"].get("server_script_allowed_hosts") or []
    except (RuntimeError, KeyError):
        return set()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return set()
    return {str(h).strip().lower().rstrip(".") for h in value if str(h).strip()}


def _literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class _Target:
    __slots__ = ("scheme", "host", "port", "ip", "url")

    def __init__(self, scheme: str, host: str, port: int, ip: str, url: str) -> None:
        self.scheme, self.host, self.port, self.ip, self.url = scheme, host, port, ip, url


def _refuse(url: str, why: str) -> OutboundRequestError:
    shown = url if len(url) <= 200 else url[:200] + "..."
    return OutboundRequestError(f"Outbound request to {shown} refused: {why}")


def vet_url(url: Any) -> _Target:
    """Check a URL and resolve its host; the address to connect to, or OutboundRequestError."""
    if not isinstance(url, str) or not url:
        raise OutboundRequestError("The URL must be a non-empty string")
    if len(url) > MAX_URL_CHARS:
        raise OutboundRequestError(f"The URL is too long (over {MAX_URL_CHARS} characters)")
    if any(ord(c) < 33 or ord(c) == 127 for c in url) or "\\" in url:
        raise _refuse(url, "it contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refuse(url, f"it is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _refuse(url, "only http and https URLs are allowed")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise _refuse(url, "URLs with credentials (user:password@) are not allowed; send a header instead")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise _refuse(url, "it has no host")
    port = port or (443 if scheme == "https" else 80)
    ip = _literal_ip(host)
    allowed = host in _allowed_hosts()
    if ip is None:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise _refuse(url, "the host name is not valid") from None
        if not _HOST_CHARS.match(host) or ".." in host:
            raise _refuse(url, "the host name is not valid")
        labels = host.split(".")
        if _NUMERIC_LABEL.match(labels[-1]):
            raise _refuse(url, f"{host!r} is an unusual spelling of an IP address; write the address as a.b.c.d")
        addresses = _resolve(url, host, port)
    else:
        if isinstance(ip, ipaddress.IPv4Address) and str(ip) != host:
            raise _refuse(url, f"{host!r} is an unusual spelling of an IP address")
        addresses = [ip]
    if not allowed:
        for address in addresses:
            why = forbidden_reason(address)
            if why:
                raise _refuse(url, f"{host} is (or resolves to) a {why}; scripts may only reach public "
                                   "addresses unless the host is listed in site config server_script_allowed_hosts")
    return _Target(scheme, host, port, str(addresses[0]), urlunsplit(parts._replace(scheme=scheme)))


def _resolve(url: str, host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _refuse(url, f"the host {host} could not be resolved ({exc})") from None
    out = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone index
        ip = _literal_ip(raw)
        if ip is None:
            raise _refuse(url, f"the host {host} resolved to something that is not an IP address")
        out.append(ip)
    if not out:
        raise _refuse(url, f"the host {host} has no address")
    return out


# -- one pinned hop -------------------------------------------------------------------------------
def _remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def _pinned_session(target: _Target):
    class PinnedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            if target.scheme == "https":
                kwargs["server_hostname"] = target.host
                kwargs["assert_hostname"] = target.host
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc from the environment
    adapter = PinnedAdapter(max_retries=0, pool_connections=1, pool_maxsize=1)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _pinned_url(target: _Target) -> str:
    parts = urlsplit(target.url)
    ip = _literal_ip(target.ip)
    address = f"[{target.ip}]" if isinstance(ip, ipaddress.IPv6Address) else target.ip
    return urlunsplit((target.scheme, f"{address}:{target.port}", parts.path or "/", parts.query, ""))


def _host_header(target: _Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def _send(method: str, target: _Target, headers: dict[str, str], body: dict[str, Any], deadline: float):
    left = min(_remaining(deadline), MAX_TIMEOUT_S)
    if left <= 0:
        raise OutboundRequestError(f"Outbound request to {target.url} not made: the script's time limit ran out")
    session = _pinned_session(target)
    hop_headers = dict(headers)
    hop_headers["Host"] = _host_header(target)
    try:
        response = session.request(method, _pinned_url(target), headers=hop_headers, timeout=(left, left),
                                   allow_redirects=False, stream=True, **body)
    except requests.exceptions.Timeout:
        session.close()
        raise OutboundRequestError(f"Outbound request to {target.url} timed out") from None
    except requests.exceptions.RequestException as exc:
        session.close()
        raise OutboundRequestError(f"Outbound request to {target.url} failed: {type(exc).__name__}") from None
    return session, response


def _read_capped(response: Any, url: str, deadline: float) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > MAX_RESPONSE_BYTES:
        raise OutboundRequestError(f"The reply from {url} is too large (over {MAX_RESPONSE_BYTES // 2**20} MB)")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise OutboundRequestError(f"The reply from {url} is too large (over "
                                           f"{MAX_RESPONSE_BYTES // 2**20} MB)")
            if _remaining(deadline) <= 0:
                raise OutboundRequestError(f"Outbound request to {url} timed out while reading the reply")
            chunks.append(chunk)
    except requests.exceptions.RequestException as exc:
        raise OutboundRequestError(f"Reading the reply from {url} failed: {type(exc).__name__}") from None
    return b"".join(chunks)


# -- the request loop -----------------------------------------------------------------------------
def _clean_headers(headers: Any) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise OutboundRequestError("headers must be a dict")
    out: dict[str, str] = {}
    for key, value in headers.items():
        k, v = str(key), str(value)
        if any(c in k + v for c in "\r\n\0") or not k.strip():
            raise OutboundRequestError(f"Header {k!r} is not valid")
        if k.lower() in _REFUSED_HEADERS:
            continue  # set by the client itself
        out[k] = v
    return out


def make_request(method: str, url: Any, headers: Any = None, params: Any = None, data: Any = None,
                 json: Any = None, budget_s: float = MAX_TIMEOUT_S) -> Any:
    """One outbound request (following redirects, each vetted) within `budget_s` seconds (what is
    left of the script's time budget) and MAX_TIMEOUT_S; the JSON or text of the reply."""
    method = str(method).upper()
    if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        raise OutboundRequestError(f"Unknown HTTP method {method!r}")
    headers_ = _clean_headers(headers)
    body: dict[str, Any] = {}
    if params is not None:
        body["params"] = params
    if data is not None:
        body["data"] = data
    if json is not None:
        body["json"] = json
    deadline = time.monotonic() + min(MAX_TIMEOUT_S, budget_s - 0.05)
    target = vet_url(url)
    for hop in range(MAX_REDIRECTS + 1):
        session, response = _send(method, target, headers_, body, deadline)
        try:
            if response.is_redirect:
                location = response.headers.get("Location") or ""
                if hop >= MAX_REDIRECTS:
                    raise OutboundRequestError(f"Outbound request to {url} refused: more than {MAX_REDIRECTS} "
                                               "redirects")
                next_target = vet_url(urljoin(target.url, location))
                if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                    method, body = "GET", {}
                else:
                    body.pop("params", None)  # the new URL carries its own query
                if next_target.host != target.host:
                    headers_ = {k: v for k, v in headers_.items() if k.lower() not in _STRIP_ON_HOST_CHANGE}
                target = next_target
                continue
            content = _read_capped(response, target.url, deadline)
            return _reply(response, content, method, target.url)
        finally:
            response.close()
            session.close()
    raise OutboundRequestError(f"Outbound request to {url} refused: too many redirects")  # pragma: no cover


def _reply(response: Any, content: bytes, method: str, url: str) -> Any:
    encoding = response.encoding or "utf-8"
    try:
        text = content.decode(encoding, errors="replace")
    except LookupError:
        text = content.decode("utf-8", errors="replace")
    if response.status_code >= 400:
        detail = text.strip()[:300]
        raise OutboundRequestError(f"{method} {url} failed: HTTP {response.status_code} {response.reason or ''}"
                                   .rstrip() + (f": {detail}" if detail else ""))
    ctype = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        try:
            return _json.loads(text)
        except ValueError:
            return text
    return text

"""Outbound HTTP from scripts: only public addresses (or allowlisted hosts), pinned, capped, timed.

No external network exists here: DNS is faked by monkeypatching socket.getaddrinfo, and the only
server is a local one on 127.0.0.1 started by the tests.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from webapp.services import outbound as out
from webapp.services.outbound import OutboundRequestError, make_request, vet_url

_real_getaddrinfo = socket.getaddrinfo


class _Handler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json", headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        self.hits.append(self.path)
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        if url.path == "/json":
            self._send(200, json.dumps({"ok": True, "host": self.headers.get("Host"),
                                        "auth": self.headers.get("Authorization")}).encode())
        elif url.path == "/text":
            self._send(200, b"hello", "text/plain; charset=utf-8")
        elif url.path == "/redirect":
            self._send(302, b"", "text/plain", {"Location": q["to"][0]})
        elif url.path == "/loop":
            self._send(302, b"", "text/plain", {"Location": "/loop"})
        elif url.path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()  # no Content-Length: the cap must work while streaming
            chunk = b"x" * 65536
            try:
                for _ in range(out.MAX_RESPONSE_BYTES // len(chunk) + 20):
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif url.path == "/missing":
            self._send(404, b'{"error": "nope"}')
        else:
            self._send(500, b"boom", "text/plain")

    def do_POST(self):  # noqa: N802
        self.hits.append(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(200, json.dumps({"method": "POST", "got": json.loads(body or b"null")}).encode())

    do_PUT = do_PATCH = do_DELETE = do_POST  # noqa: N815


@pytest.fixture
def server():
    _Handler.hits = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def fake_dns(monkeypatch):
    """fake_dns({"name": ["1.2.3.4", ...]}): names resolve to those addresses; IP literals stay real."""
    table: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, bytes):
            host = host.decode()
        if host in table:
            addrs = table[host]
            if callable(addrs):
                addrs = addrs()
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (a, port or 0) if ":" not in a else (a, port or 0, 0, 0)) for a in addrs]
        try:
            import ipaddress

            ipaddress.ip_address(host)
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return _real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


# -- the address policy ---------------------------------------------------------------------------
REFUSED_URLS = [
    "http://127.0.0.1/", "http://127.0.0.2:8080/", "http://localhost/", "http://10.0.0.1/", "http://172.16.5.4/",
    "http://192.168.1.1/", "http://100.64.0.1/", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/",
    "http://224.0.0.1/", "http://240.0.0.1/", "http://255.255.255.255/", "http://[::1]/", "http://[::]/",
    "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://[::ffff:169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/", "http://2130706433/", "http://0x7f.1/", "http://0x7f000001/",
    "http://017700000001/", "http://0177.0.0.1/", "http://127.1/", "http://127.0.0.01/", "http://127.000.000.1/",
    "file:///etc/passwd", "ftp://example.com/", "gopher://example.com/", "dict://127.0.0.1:11211/",
    "http://user:pass@example.com/", "http://example.com@127.0.0.1/", "https://:@example.com/", "//example.com/",
    "http:///path", "http://exa mple.com/", "http://example.com\\@127.0.0.1/", "http://example.com\r\nX: y/",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_refused_urls(app, fake_dns, url):
    fake_dns["example.com"] = ["93.184.216.34"]
    fake_dns["localhost"] = ["127.0.0.1", "::1"]
    with app.app_context():
        with pytest.raises(OutboundRequestError) as err:
            vet_url(url)
    assert "refused" in str(err.value) or "URL" in str(err.value)


def test_public_address_passes_and_is_pinned(app, fake_dns):
    fake_dns["example.com"] = ["93.184.216.34"]
    with app.app_context():
        target = vet_url("https://Example.COM/a?b=1")
    assert (target.host, target.port, target.ip) == ("example.com", 443, "93.184.216.34")
    assert out._pinned_url(target) == "https://93.184.216.34:443/a?b=1"
    assert out._host_header(target) == "example.com"


def test_every_resolved_address_is_checked(app, fake_dns):
    fake_dns["mixed.test"] = ["93.184.216.34", "10.0.0.5"]
    fake_dns["rebind-to-loopback.test"] = ["127.0.0.1"]
    fake_dns["metadata.test"] = ["169.254.169.254"]
    fake_dns["v6-mapped.test"] = ["::ffff:127.0.0.1"]
    with app.app_context():
        for host in ("mixed.test", "rebind-to-loopback.test", "metadata.test", "v6-mapped.test"):
            with pytest.raises(OutboundRequestError, match="refused"):
                vet_url(f"http://{host}/")


def test_unresolvable_host(app, fake_dns):
    with app.app_context(), pytest.raises(OutboundRequestError, match="could not be resolved"):
        vet_url("http://nowhere.invalid/")


# -- against the local server ---------------------------------------------------------------------
def test_loopback_refused_by_default(app, server, fake_dns):
    fake_dns["intranet.test"] = ["127.0.0.1"]
    with app.app_context():
        for url in (f"http://127.0.0.1:{server}/json", f"http://intranet.test:{server}/json"):
            with pytest.raises(OutboundRequestError, match="loopback"):
                make_request("GET", url)
    assert _Handler.hits == []


def test_allowed_host_reaches_intranet(app, server, fake_dns, site_config):
    fake_dns["intranet.test"] = ["127.0.0.1"]
    site_config(server_script_allowed_hosts=["intranet.test"])
    with app.app_context():
        reply = make_request("GET", f"http://intranet.test:{server}/json", headers={"Authorization": "token a:b"})
        assert reply == {"ok": True, "host": f"intranet.test:{server}", "auth": "token a:b"}
        assert make_request("GET", f"http://intranet.test:{server}/text") == "hello"
        assert make_request("POST", f"http://intranet.test:{server}/echo", json={"a": 1}) == \
            {"method": "POST", "got": {"a": 1}}
        assert make_request("PUT", f"http://intranet.test:{server}/echo", data=json.dumps([1]))["got"] == [1]
        with pytest.raises(OutboundRequestError, match="HTTP 404"):
            make_request("GET", f"http://intranet.test:{server}/missing")
        # An allowlisted name does not open the loopback address itself, nor other names.
        with pytest.raises(OutboundRequestError, match="loopback"):
            make_request("GET", f"http://127.0.0.1:{server}/json")


def test_redirects_are_rechecked(app, server, fake_dns, site_config):
    fake_dns["intranet.test"] = ["127.0.0.1"]
    fake_dns["evil.test"] = ["127.0.0.1"]
    site_config(server_script_allowed_hosts=["intranet.test"])
    base = f"http://intranet.test:{server}"
    with app.app_context():
        assert make_request("GET", f"{base}/redirect?to=/json")["ok"] is True
        for to in (f"http://127.0.0.1:{server}/json", f"http://evil.test:{server}/json",
                   "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", f"http://2130706433:{server}/"):
            _Handler.hits.clear()
            with pytest.raises(OutboundRequestError, match="refused"):
                make_request("GET", f"{base}/redirect?to={to}")
            assert not any(h.startswith("/json") for h in _Handler.hits)
        with pytest.raises(OutboundRequestError, match="redirects"):
            make_request("GET", f"{base}/loop")
        assert len([h for h in _Handler.hits if h == "/loop"]) == out.MAX_REDIRECTS + 1


def test_credentials_are_not_forwarded_to_another_host(app, server, fake_dns, site_config):
    fake_dns["intranet.test"] = ["127.0.0.1"]
    fake_dns["other.test"] = ["127.0.0.1"]
    site_config(server_script_allowed_hosts=["intranet.test", "other.test"])
    with app.app_context():
        reply = make_request("GET", f"http://intranet.test:{server}/redirect?to=http://other.test:{server}/json",
                             headers={"Authorization": "token a:b"})
    assert reply["host"] == f"other.test:{server}" and reply["auth"] is None


def test_response_size_cap(app, server, fake_dns, site_config):
    fake_dns["intranet.test"] = ["127.0.0.1"]
    site_config(server_script_allowed_hosts=["intranet.test"])
    with app.app_context(), pytest.raises(OutboundRequestError, match="too large"):
        make_request("GET", f"http://intranet.test:{server}/big")


def test_dns_rebinding_cannot_switch_the_address(app, server, fake_dns, site_config, monkeypatch):
    """The first answer is public, every later one loopback: the connection must go to the first."""
    answers = iter([["93.184.216.34"]])
    fake_dns["rebind.test"] = lambda: next(answers, ["127.0.0.1"])
    monkeypatch.setattr(out, "MAX_TIMEOUT_S", 0.5)
    connected: list = []
    real_create = socket.create_connection

    def create_connection(address, *args, **kwargs):
        connected.append(address[0])
        raise OSError("no external network in tests")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    import urllib3.util.connection

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    with app.app_context(), pytest.raises(OutboundRequestError, match="failed|timed out"):
        make_request("GET", f"http://rebind.test:{server}/json")
    assert connected and set(connected) == {"93.184.216.34"}
    assert _Handler.hits == []
    assert real_create is not None


def test_environment_proxy_is_ignored(app, server, fake_dns, site_config, monkeypatch):
    fake_dns["intranet.test"] = ["127.0.0.1"]
    site_config(server_script_allowed_hosts=["intranet.test"])
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("http_proxy", "http://10.9.9.9:3128")
    with app.app_context():
        assert make_request("GET", f"http://intranet.test:{server}/json")["ok"] is True


# -- from a real script ---------------------------------------------------------------------------
def test_from_an_api_script(client, api_keys, site_config, server, fake_dns):
    fake_dns["intranet.test"] = ["127.0.0.1"]
    site_config(server_script_enabled=True)
    headers = api_keys("Administrator")
    r = client.post("/api/resource/Server Script", headers=headers, json={
        "name": "fetcher", "script_type": "API", "api_method": "fetcher",
        "script": "frappe.response['message'] = frappe.make_get_request(frappe.form_dict.url)"})
    assert r.status_code == 200
    url = f"http://intranet.test:{server}/json"
    r = client.get("/api/method/fetcher", query_string={"url": url}, headers=headers)
    assert r.status_code == 417 and "loopback" in r.get_json()["exception"]
    r = client.get("/api/method/fetcher", query_string={"url": "http://169.254.169.254/"}, headers=headers)
    assert r.status_code == 417 and "link-local" in r.get_json()["exception"]
    assert _Handler.hits == []
    site_config(server_script_allowed_hosts=["intranet.test"])
    r = client.get("/api/method/fetcher", query_string={"url": url}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"]["ok"] is True
    assert client.get("/api/method/ping").get_json() == {"message": "pong"}

"""The zygote: a clean process that script hosts are forked from.

A web worker (or the scheduler, or a job worker) starts one with
`python -m webapp.script_host.zygote FD`, in an environment stripped of the app's settings (no
DATABASE_URL, SECRET_KEY or REDIS_URL: runtime/hosts.py builds it). It imports the sandbox and the
script side only, loads what they would otherwise load lazily (a host cannot open files), and then
waits on its control socket (FD): for each request, it forks a host with a fresh socket pair and
sends the worker that host's end of the channel and its process id. A fork of a warm zygote is
ready in a few milliseconds. When the worker goes away, so does the zygote.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import os
import signal
import socket
import sys
import time

import msgpack

from webapp.script_api import dates, extras, render, text, utils
from webapp.script_api import runner as _runner  # noqa: F401 - what hosts run, imported before forking
from webapp.script_host import host

REQUEST_BYTES = 64


def preload() -> None:
    """Import now what the script side would import on first use (markdown's extensions, strptime,
    codecs, the local time zone...)."""
    text.md_to_html("*warm* `up`\n\n- a\n- b")
    render.render_template("{{ a }}{% for x in b %}{{ x }}{% endfor %}", {"a": 1, "b": [2]})
    dt.datetime.strptime("2020-01-02 03:04:05", "%Y-%m-%d %H:%M:%S")
    time.localtime()
    for codec in ("utf-8", "utf-16", "utf-32", "latin-1", "ascii", "cp1252", "idna", "punycode"):
        "warm".encode(codec).decode(codec)
    utils.fmt_money(1234.5, 2)
    dates.format_duration(3600)
    extras.sanitize_html("<b>x</b>")
    "ΣΊΣΥΦΟΣ".casefold()
    mimetypes.init()
    text.is_image("a.png")
    msgpack.packb([1, "a", 2.5, None, True, b"x", {"a": [1]}])


def serve(control: socket.socket) -> None:
    while True:
        request = control.recv(REQUEST_BYTES)
        if not request:
            return  # the worker went away
        memory_mb = int(request)
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            control.close()
            ours.close()
            host.main(theirs.detach(), memory_mb)  # never returns
        theirs.close()
        socket.send_fds(control, [str(pid).encode()], [ours.fileno()])
        ours.close()


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # hosts are reaped as they end
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker's Ctrl+C is the worker's to handle
    serve(control)


if __name__ == "__main__":
    main()

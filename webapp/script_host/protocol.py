"""The channel between a web worker and a script host: length-prefixed msgpack messages over one
socket, plain data only (never pickle: the app must never unpickle what a host sends).

Each message is a list whose first item says what it is:

    worker -> host   ["run", spec]            run a spec (script_api/runner.py)
                     ["result", value]         the answer to the host's last call
                     ["error", error wire]     that call failed (script_api/wire.py)
                     ["callback", n, timeout_s, memory_mb]   run a transaction hook's function
                     ["forget", n]             drop a transaction hook's function
    host -> worker   ["call", op, args, kwargs]   an operation for the bridge (runtime/bridge.py)
                     ["ran", record]           one run of a group has ended (its log record)
                     ["done", done]            the spec has run
                     ["callback_done", error wire or None]

Calls nest: while the worker answers a call it may send a run (a document the script saved fires
its own scripts), which the host runs before it goes back to waiting for its answer.
Dates, times, durations and Decimals travel as msgpack extension types.
"""

from __future__ import annotations

import datetime as dt
import decimal
import mmap
import os
import socket
import struct
import time
from typing import Any

import msgpack

from webapp.attrdict import AttrDict

MAX_FRAME = 64 * 1024 * 1024
REARM_S = 0.05
# How long a read polls before it sleeps: only where the two ends can run at once.
SPIN_S = 0.0001 if len(os.sched_getaffinity(0)) > 1 else 0.0
MAX_SPIN_S = 0.001
_HEADER = struct.Struct(">I")
_TIMEVAL = struct.Struct("@ll")
_DATETIME, _DATE, _TIME, _TIMEDELTA, _DECIMAL = 1, 2, 3, 4, 5


class ChannelClosed(Exception):
    """The other end is gone (a host that was killed or died; a worker that went away)."""


class ChannelTimeout(Exception):
    """No message came in time."""


def _default(value: Any) -> Any:
    tp = type(value)
    if tp is dt.datetime:
        return msgpack.ExtType(_DATETIME, value.isoformat().encode())
    if tp is dt.date:
        return msgpack.ExtType(_DATE, value.isoformat().encode())
    if tp is dt.time:
        return msgpack.ExtType(_TIME, value.isoformat().encode())
    if tp is dt.timedelta:
        return msgpack.ExtType(_TIMEDELTA, f"{value.days},{value.seconds},{value.microseconds}".encode())
    if tp is decimal.Decimal:
        return msgpack.ExtType(_DECIMAL, str(value).encode())
    raise TypeError(f"a {tp.__name__} cannot cross to or from a script host (plain data only)")


def _ext(code: int, data: bytes) -> Any:
    text = data.decode()
    if code == _DATETIME:
        return dt.datetime.fromisoformat(text)
    if code == _DATE:
        return dt.date.fromisoformat(text)
    if code == _TIME:
        return dt.time.fromisoformat(text)
    if code == _TIMEDELTA:
        days, seconds, micro = (int(x) for x in text.split(","))
        return dt.timedelta(days=days, seconds=seconds, microseconds=micro)
    if code == _DECIMAL:
        return decimal.Decimal(text)
    raise ValueError(f"unknown value type {code} on a script host's channel")


def pack(message: Any) -> bytes:
    body = msgpack.packb(message, default=_default, use_bin_type=True, strict_types=False)
    if len(body) > MAX_FRAME:
        raise ValueError(f"a message of {len(body):,} bytes is too large for the script host channel")
    return _HEADER.pack(len(body)) + body


PROGRESS_BYTES = 4096
_PROGRESS = struct.Struct("<Qqd")  # run number, index of the script running, when it started (monotonic)


class Progress:
    """A page of memory the worker and one host share (a memfd the zygote made): which script of
    which run the host is in, and since when. The host writes it as each script starts, so a run
    group costs no message per script; the worker reads it only when a deadline passes, to give
    each script of a group its own time before it kills the host. The worker never trusts it past
    the group's own deadline (a host can write anything here)."""

    def __init__(self, fd: int) -> None:
        self.page = mmap.mmap(fd, PROGRESS_BYTES, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        os.close(fd)

    def write(self, run: int, index: int, started: float) -> None:
        _PROGRESS.pack_into(self.page, 0, run, index, started)

    def read(self) -> tuple[int, int, float]:
        return (0, 0, 0.0) if self.page.closed else _PROGRESS.unpack_from(self.page, 0)

    def close(self) -> None:
        self.page.close()


class Channel:
    """One end of the socket. `attr_dicts`: maps arrive as AttrDicts (the script side's dicts)."""

    def __init__(self, fd: int, attr_dicts: bool = False) -> None:
        self.fd = fd
        self.sock = socket.socket(fileno=fd)  # for its receive timeout; reads and writes use the fd
        self.buffer = bytearray()
        self.object_hook = AttrDict if attr_dicts else None
        self.closed = False
        self.armed_until: float | None = None
        self.armed_for = 0.0
        self.last_wait = 0.0  # how long the last message took to start arriving (seconds)

    def send(self, message: Any) -> None:
        data = memoryview(pack(message))
        try:
            while data:
                written = os.write(self.fd, data)
                data = data[written:]
        except OSError as exc:
            self.closed = True
            raise ChannelClosed(str(exc)) from None

    def _wait_limit(self, deadline: float) -> None:
        """Let a blocking read wait until about `deadline`: the socket's receive timeout is set
        again only when the last one set would let a read overrun it by more than REARM_S (one
        system call then, instead of a poll before every read)."""
        now = time.monotonic()
        left = deadline - now
        if left <= 0:
            raise ChannelTimeout()
        if self.armed_until is None or self.armed_until > deadline + REARM_S or now + self.armed_for > deadline + REARM_S:
            seconds = int(left)
            value = _TIMEVAL.pack(seconds, max(1, int((left - seconds) * 1_000_000)))
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
            self.armed_until, self.armed_for = deadline, left

    def _spin(self, size: int, spin_s: float) -> bytes | None:
        """What has arrived within `spin_s`, read without sleeping; None if nothing has. The other
        end usually answers within microseconds, and a process that sleeps in read() and is woken
        costs several times that (two context switches each way)."""
        end = 0.0
        while True:
            try:
                return self.sock.recv(size, socket.MSG_DONTWAIT)
            except BlockingIOError:
                now = time.perf_counter()
                if not end:
                    end = now + spin_s
                elif now >= end:
                    return None
            except OSError as exc:
                self.closed = True
                raise ChannelClosed(str(exc)) from None

    def _fill(self, need: int, deadline: float | None, spin_s: float) -> None:
        while len(self.buffer) < need:
            if spin_s:
                chunk = self._spin(max(65536, need - len(self.buffer)), spin_s)
                if chunk is not None:
                    if not chunk:
                        self.closed = True
                        raise ChannelClosed("the other end closed the channel")
                    self.buffer += chunk
                    continue
            if deadline is not None:
                self._wait_limit(deadline)
            elif self.armed_until is not None:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _TIMEVAL.pack(0, 0))
                self.armed_until = None
            try:
                chunk = os.read(self.fd, max(65536, need - len(self.buffer)))
            except BlockingIOError:
                if deadline is not None and time.monotonic() < deadline:
                    self.armed_until = None  # woken early: arm again for the time left
                    continue
                raise ChannelTimeout() from None
            except OSError as exc:
                self.closed = True
                raise ChannelClosed(str(exc)) from None
            if not chunk:
                self.closed = True
                raise ChannelClosed("the other end closed the channel")
            self.buffer += chunk

    def recv(self, deadline: float | None = None, spin: bool = True) -> Any:
        """The next message; `deadline` (time.monotonic()) bounds the wait (ChannelTimeout).

        With `spin` (an answer expected soon), a read polls before it sleeps for about as long as
        the last such message took to come (at least SPIN_S, at most MAX_SPIN_S; not at all after
        a long wait, or on one CPU). A host waiting for its next run does not spin."""
        waited = self.last_wait
        if not spin or not SPIN_S:
            spin_s = 0.0
        else:
            spin_s = min(MAX_SPIN_S, max(SPIN_S, waited * 1.25)) if waited < MAX_SPIN_S else SPIN_S
        if len(self.buffer) < 4:
            started = time.perf_counter()
            self._fill(4, deadline, spin_s)
            if spin:
                self.last_wait = time.perf_counter() - started
        (size,) = _HEADER.unpack_from(self.buffer)
        if size > MAX_FRAME:
            self.closed = True
            raise ChannelClosed(f"a message of {size:,} bytes is too large")
        self._fill(4 + size, deadline, spin_s)
        body = bytes(self.buffer[4:4 + size])
        del self.buffer[:4 + size]
        message = msgpack.unpackb(body, ext_hook=_ext, object_hook=self.object_hook, raw=False,
                                  strict_map_key=False)
        if type(message) is not list or not message or type(message[0]) is not str:
            self.closed = True
            raise ChannelClosed("a message that is not one")
        return message

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

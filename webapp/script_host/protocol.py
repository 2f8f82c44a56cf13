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
import os
import select
import struct
import time
from typing import Any

import msgpack

from webapp.attrdict import AttrDict

MAX_FRAME = 64 * 1024 * 1024
_HEADER = struct.Struct(">I")
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


class Channel:
    """One end of the socket. `attr_dicts`: maps arrive as AttrDicts (the script side's dicts)."""

    def __init__(self, fd: int, attr_dicts: bool = False) -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.object_hook = AttrDict if attr_dicts else None
        self.closed = False

    def send(self, message: Any) -> None:
        data = memoryview(pack(message))
        try:
            while data:
                written = os.write(self.fd, data)
                data = data[written:]
        except OSError as exc:
            self.closed = True
            raise ChannelClosed(str(exc)) from None

    def _fill(self, need: int, deadline: float | None) -> None:
        while len(self.buffer) < need:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                    raise ChannelTimeout()
            try:
                chunk = os.read(self.fd, max(65536, need - len(self.buffer)))
            except OSError as exc:
                self.closed = True
                raise ChannelClosed(str(exc)) from None
            if not chunk:
                self.closed = True
                raise ChannelClosed("the other end closed the channel")
            self.buffer += chunk

    def recv(self, deadline: float | None = None) -> Any:
        """The next message; `deadline` (time.monotonic()) bounds the wait (ChannelTimeout)."""
        self._fill(4, deadline)
        (size,) = _HEADER.unpack_from(self.buffer)
        if size > MAX_FRAME:
            self.closed = True
            raise ChannelClosed(f"a message of {size:,} bytes is too large")
        self._fill(4 + size, deadline)
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
                os.close(self.fd)
            except OSError:
                pass

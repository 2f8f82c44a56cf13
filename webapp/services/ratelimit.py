"""Fixed-window rate limits on top of the `limits` library, sharing Flask-Limiter's storage
(memory by default, Redis when `REDIS_URL` is set, so every worker counts together)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond, parse

from webapp.errors import RateLimitExceededError
from webapp.extensions import limiter


def _strategy():
    # Flask-Limiter builds its storage and strategy lazily from RATELIMIT_STORAGE_URI.
    return limiter.limiter


def _retry_after(item, *key: str) -> int:
    reset, _remaining = _strategy().get_window_stats(item, *key)
    return max(1, math.ceil(reset - time.time()))


def check(item, *key: str, message: str) -> None:
    """Raise RateLimitExceededError (with Retry-After) if the window for `key` is used up."""
    if not _strategy().test(item, *key):
        raise RateLimitExceededError(message, retry_after=_retry_after(item, *key))


def hit(item, *key: str, message: str) -> None:
    """Count one call; raise RateLimitExceededError if this call is over the limit."""
    if not _strategy().hit(item, *key):
        raise RateLimitExceededError(message, retry_after=_retry_after(item, *key))


def count_failure(item, *key: str) -> None:
    _strategy().hit(item, *key)


def per_seconds(count: int, seconds: int):
    """`count` calls per fixed window of `seconds`, the window starting at the first call."""
    return RateLimitItemPerSecond(count, seconds)


def parse_limit(text: str):
    return parse(text)

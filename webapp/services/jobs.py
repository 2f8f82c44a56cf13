"""The job queue: work that runs later, outside the request, once the operation that queued it commits.

A job is the name of a function in `JOBS` plus JSON keyword arguments; never a callable or a live
object, so nothing of the queuing operation (documents, a script's namespace, the session) reaches
the job, and a job runs the same in this process or in a worker. Each job runs in a fresh app
context (its own database session).

Where jobs wait (the README's Configuration: `REDIS_URL`):

- `REDIS_URL` set: RQ queues `default`, `short` and `long` in Redis, run by
  `flask --app wsgi worker [--burst]` (an RQ SimpleWorker inside the app context: no fork).
- otherwise: in this process. One daemon thread runs jobs one at a time, in the order they were
  queued. `wait_idle()` returns when every queued job has run (tests; `send-email` uses it too).
  Jobs still waiting when the process exits are lost (run a Redis queue where that matters).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, current_app
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from webapp.errors import ValidationError
from webapp.jsonenc import to_jsonable
from webapp.services.context import after_commit

log = logging.getLogger(__name__)

QUEUES = ("default", "short", "long")
# Seconds a job may run in an RQ worker before it is stopped (Frappe's defaults); a Server Script in
# a job is stopped much earlier by its own budget.
TIMEOUTS = {"short": 300, "default": 300, "long": 1500}
MAX_PAYLOAD_BYTES = 1_000_000

# The functions a job may name: "module:function".
JOBS: dict[str, str] = {
    "server_script": "webapp.runtime.script_jobs:run_api_script",
    "send_email": "webapp.services.mail:send_pending",
}


def check_queue(queue: Any) -> str:
    if queue not in QUEUES:
        raise ValidationError(f"Unknown queue {queue!r}: use one of {', '.join(QUEUES)}")
    return str(queue)


def to_payload(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The job's keyword arguments as JSON data (dates as text, as in an API reply), size-capped."""
    try:
        text = json.dumps(kwargs, default=to_jsonable)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"Job arguments must be JSON data (text, numbers, lists, dicts): {exc}") from None
    if len(text) > MAX_PAYLOAD_BYTES:
        raise ValidationError(f"Job arguments are too large ({len(text):,} bytes; at most {MAX_PAYLOAD_BYTES:,})")
    return json.loads(text)


def enqueue(job: str, queue: str = "default", *, on_error: Callable[[BaseException], None] | None = None,
            **kwargs: Any) -> None:
    """Queue `JOBS[job](**kwargs)` for when the current operation commits (at once outside one).

    A rolled-back operation queues nothing. When the queue cannot be reached after the commit, the
    operation has happened anyway: the error is logged and handed to `on_error`.
    """
    if job not in JOBS:
        raise ValidationError(f"Unknown job {job!r}")
    queue = check_queue(queue)
    payload = to_payload(kwargs)
    backend = _backend()

    def push() -> None:
        try:
            backend.push(job, queue, payload)
        except Exception as exc:  # noqa: BLE001 - the operation has committed; report, do not undo
            log.exception("could not queue job %s on %s", job, queue)
            if on_error is not None:
                on_error(exc)

    after_commit(push)


def run_job(job: str, kwargs: dict[str, Any], app: Flask | None = None) -> Any:
    """Run one job in a fresh app context (called by the in-process thread and by RQ workers)."""
    module_name, _, func_name = JOBS[job].partition(":")
    func = getattr(importlib.import_module(module_name), func_name)
    with (app or current_app._get_current_object()).app_context():  # type: ignore[attr-defined]
        return func(**kwargs)


def wait_idle(timeout: float | None = 30.0) -> bool:
    """Wait until the in-process queue has run every job (True), or the timeout passed (False).
    With Redis, jobs run in `flask --app wsgi worker`: there is nothing to wait for here."""
    backend = _backend()
    return backend.wait_idle(timeout) if isinstance(backend, LocalQueue) else True


# -- backends -------------------------------------------------------------------------------------
class LocalQueue:
    """Jobs of this process, run in order by one daemon thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self.items: deque[tuple[str, dict[str, Any]]] = deque()
        self.unfinished = 0
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None

    def push(self, job: str, queue: str, payload: dict[str, Any]) -> None:
        with self.cond:
            self.items.append((job, payload))
            self.unfinished += 1
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="job-queue", daemon=True)
                self.thread.start()
            self.cond.notify_all()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.items:
                    self.cond.wait()
                job, payload = self.items.popleft()
            try:
                run_job(job, payload, self.app)
            except Exception:  # noqa: BLE001 - one failing job must not stop the queue
                log.exception("job %s failed", job)
            finally:
                with self.cond:
                    self.unfinished -= 1
                    self.cond.notify_all()

    def wait_idle(self, timeout: float | None = 30.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.unfinished == 0, timeout)


class RedisQueue:
    """RQ queues in Redis (JSON-serialized jobs, so a job's data is plain data)."""

    def __init__(self, redis_url: str) -> None:
        self.connection = redis.Redis.from_url(redis_url)

    def queue(self, name: str):
        return Queue(name, connection=self.connection, serializer=JSONSerializer,
                     default_timeout=TIMEOUTS[name])

    def push(self, job: str, queue: str, payload: dict[str, Any]) -> None:
        self.queue(queue).enqueue(run_job, job, payload, description=job, result_ttl=3600, failure_ttl=7 * 86400)

    def worker(self, queues: list[str]):
        return SimpleWorker([self.queue(q) for q in queues], connection=self.connection, serializer=JSONSerializer)


Backend = LocalQueue | RedisQueue


_backend_lock = threading.Lock()


def _backend() -> Backend:
    """The app's queue, made on first use (again in a forked child: the parent's thread is not there)."""
    ext = current_app.extensions
    backend = ext.get("job_queue")
    if backend is None or (isinstance(backend, LocalQueue) and backend.pid != os.getpid()):
        with _backend_lock:
            backend = ext.get("job_queue")
            if backend is None or (isinstance(backend, LocalQueue) and backend.pid != os.getpid()):
                url = current_app.config.get("REDIS_URL")
                app = current_app._get_current_object()  # type: ignore[attr-defined]
                backend = RedisQueue(url) if url else LocalQueue(app)
                ext["job_queue"] = backend
    return backend


def run_worker(queues: list[str] | None = None, burst: bool = False) -> bool:
    """`flask --app wsgi worker`: run jobs from Redis in this process (True when it ran any)."""
    backend = _backend()
    if not isinstance(backend, RedisQueue):
        raise ValidationError("REDIS_URL is not set: jobs run inside the web process, no worker is needed")
    for name in queues or QUEUES:
        check_queue(name)
    # RQ installs its own SIGINT/SIGTERM handlers (a warm shutdown); put back the caller's after.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return bool(backend.worker(list(queues or QUEUES)).work(burst=burst, logging_level="INFO"))
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)

"""Helpers for Server Script tests: create scripts over the REST API as a System Manager."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def admin_headers(api_keys):
    return api_keys("Administrator")


@pytest.fixture
def enable_scripts(site_config):
    site_config(server_script_enabled=True)


@pytest.fixture
def make_script(client, admin_headers):
    """make_script(name, script, script_type="DocType Event", **fields) -> the saved script (dict)."""

    def make(name: str, script: str, script_type: str = "DocType Event", **fields):
        body = {"name": name, "script_type": script_type, "script": script, **fields}
        r = client.post("/api/resource/Server Script", json=body, headers=admin_headers)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()["data"]

    return make


@pytest.fixture
def logs(client, admin_headers):
    """logs(**filters) -> execution log rows, oldest first."""

    def read(**filters):
        r = client.get("/api/resource/Server Script Log", query_string={
            "fields": json.dumps(["*"]), "filters": json.dumps(filters), "order_by": "started asc",
            "limit_page_length": 0}, headers=admin_headers)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()["data"]

    return read


def messages(body: dict) -> list[str]:
    return [json.loads(m)["message"] for m in json.loads(body.get("_server_messages") or "[]")]


class HeldQueue:
    """A job queue that keeps what is pushed until `release()` runs it here (deterministic tests)."""

    def __init__(self, app) -> None:
        self.app = app
        self.pushed: list[tuple[str, str, dict]] = []

    def push(self, job: str, queue: str, payload: dict) -> None:
        self.pushed.append((job, queue, payload))

    def release(self) -> None:
        from webapp.services import jobs

        items, self.pushed = self.pushed, []
        for job, _queue, payload in items:
            jobs.run_job(job, payload, self.app)


@pytest.fixture
def held_jobs(app):
    """Jobs wait in a HeldQueue until the test calls `held_jobs.release()`."""
    held = HeldQueue(app)
    before = app.extensions.get("job_queue")
    app.extensions["job_queue"] = held
    yield held
    app.extensions["job_queue"] = before


@pytest.fixture
def run_jobs(app):
    """run_jobs(): run every queued job now: wait for the in-process queue's thread, or run a burst
    RQ worker here when the queue is in Redis (REDIS_URL)."""
    from webapp.services import jobs

    def run() -> None:
        with app.app_context():
            if isinstance(jobs._backend(), jobs.RedisQueue):
                jobs.run_worker(burst=True)
            else:
                assert jobs.wait_idle(30), "the in-process job queue did not finish in 30 s"

    return run

"""The Redis job queue (REDIS_URL): frappe.enqueue puts an RQ job on the named queue when the
operation commits, and `flask --app wsgi worker [--burst]` runs it, in this process (CLI runner) or
as a separate worker process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import WORKER_NO

pytestmark = pytest.mark.usefixtures("enable_scripts")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _redis_url() -> str:
    # The app's own Redis database when the suite runs on Redis; else one of our own (13, 14).
    return os.environ.get("REDIS_URL") or f"redis://127.0.0.1:6379/{13 + WORKER_NO}"


@pytest.fixture
def redis_queue(app):
    """The app's job queue in Redis for this test (RQ), emptied before and after."""
    import redis

    from webapp.services import jobs

    url = _redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable at {url}: start it to test the Redis job queue")
    backend = jobs.RedisQueue(url)
    for name in jobs.QUEUES:
        backend.queue(name).empty()
    before = app.extensions.get("job_queue")
    app.extensions["job_queue"] = backend
    yield backend
    for name in jobs.QUEUES:
        backend.queue(name).empty()
    app.extensions["job_queue"] = before


def _todos(app) -> list[str]:
    from webapp.services import documents

    with app.app_context():
        return documents.get_list("ToDo", fields=["description"], order_by="creation asc", limit_page_length=0,
                                  ignore_permissions=True, pluck="description")


@pytest.fixture
def scripts(make_script):
    make_script("Make ToDo", "frappe.get_doc({'doctype': 'ToDo', 'description': frappe.form_dict.description + ' by ' "
                             "+ frappe.session.user}).insert()", script_type="API", api_method="make_todo")
    make_script("Kick", "frappe.enqueue('make_todo', queue=frappe.form_dict.q or 'default', "
                        "description=frappe.form_dict.d)", script_type="API", api_method="kick")


def test_enqueue_puts_an_rq_job_on_the_named_queue_and_the_worker_runs_it(app, client, login_as, scripts, logs,
                                                                          redis_queue):
    login_as("ann@example.com")
    assert client.post("/api/method/kick", json={"q": "long", "d": "nightly"}).status_code == 200
    assert client.post("/api/method/kick", json={"d": "soon"}).status_code == 200
    assert [len(redis_queue.queue(q)) for q in ("default", "short", "long")] == [1, 0, 1]
    assert _todos(app) == []  # nothing runs until a worker takes the jobs
    result = app.test_cli_runner().invoke(args=["worker", "--burst", "--queue", "long"])
    assert result.exit_code == 0, result.output
    assert _todos(app) == ["nightly by ann@example.com"]
    assert [len(redis_queue.queue(q)) for q in ("default", "short", "long")] == [1, 0, 0]
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0 and "Ran the waiting jobs." in result.output
    assert sorted(_todos(app)) == ["nightly by ann@example.com", "soon by ann@example.com"]
    assert [(r["trigger"], r["user"], r["status"]) for r in logs(server_script="Make ToDo")] == [
        ("enqueue make_todo", "ann@example.com", "Success")] * 2


def test_a_rolled_back_request_puts_nothing_in_redis(client, login_as, make_script, scripts, redis_queue):
    make_script("Kick and fail", "frappe.enqueue('make_todo', description='x')\nfrappe.throw('no')", script_type="API",
                api_method="kick_fail")
    login_as("ann@example.com")
    assert client.post("/api/method/kick_fail").status_code == 417
    assert sum(len(redis_queue.queue(q)) for q in ("default", "short", "long")) == 0


def test_a_worker_process_runs_the_jobs(app, client, login_as, scripts, instance_dir, redis_queue):
    login_as("ann@example.com")
    assert client.post("/api/method/kick", json={"d": "elsewhere"}).status_code == 200
    env = dict(os.environ, WEBAPP_INSTANCE_PATH=instance_dir, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=_redis_url(), SECRET_KEY="test-secret", PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _todos(app) == ["elsewhere by ann@example.com"]
    assert sum(len(redis_queue.queue(q)) for q in ("default", "short", "long")) == 0


def test_redis_down_after_the_commit_is_reported_in_the_log(app, client, login_as, scripts, logs):
    """The operation has committed; the job that could not be queued is an Error row in the log."""
    from webapp.services import jobs

    before = app.extensions.get("job_queue")
    app.extensions["job_queue"] = jobs.RedisQueue("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        login_as("ann@example.com")
        assert client.post("/api/method/kick", json={"d": "lost"}).status_code == 200
    finally:
        app.extensions["job_queue"] = before
    [row] = logs(server_script="Make ToDo")
    assert (row["status"], row["trigger"], row["user"]) == ("Error", "enqueue make_todo", "ann@example.com")
    assert "could not be queued" in row["error"]

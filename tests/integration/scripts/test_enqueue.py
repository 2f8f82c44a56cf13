"""frappe.enqueue: an API script run later in the job queue, as the user who queued it, with the
keyword arguments as its form_dict; queued only when the operation commits; logged like any run."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("enable_scripts")

# The job target: writes a ToDo that says who ran it, with what, and whether a request was there.
MAKE_TODO = """
frappe.get_doc({"doctype": "ToDo", "description": frappe.form_dict.description,
                "reference_type": frappe.session.user,
                "reference_name": ",".join(sorted(frappe.form_dict.keys()))
                                  + ("|no request" if frappe.request is None else "|request")}).insert()
"""


def _todos(app) -> list[dict]:
    from webapp.services import documents

    with app.app_context():
        return documents.get_list("ToDo", fields=["description", "owner", "reference_type", "reference_name"],
                                  order_by="creation asc", limit_page_length=0, ignore_permissions=True)


@pytest.fixture
def make_todo(make_script):
    make_script("Make ToDo", MAKE_TODO, script_type="API", api_method="make_todo")


def test_enqueued_script_runs_later_as_the_user_with_kwargs(app, client, make_script, make_todo, login_as, logs,
                                                           run_jobs):
    make_script("Kick", "frappe.enqueue('make_todo', description='later', n=3)\nfrappe.response['message'] = 'queued'",
                script_type="API", api_method="kick")
    login_as("ann@example.com", roles=["Employee"])
    r = client.post("/api/method/kick?a=1")
    assert r.status_code == 200 and r.get_json() == {"message": "queued"}
    run_jobs()
    # Run as ann, with only the kwargs as form_dict (not the caller's `a`), outside any request.
    assert _todos(app) == [{"description": "later", "owner": "ann@example.com", "reference_type": "ann@example.com",
                            "reference_name": "description,n|no request"}]
    rows = logs(server_script="Make ToDo")
    assert [(row["trigger"], row["user"], row["status"], row["script_type"]) for row in rows] == [
        ("enqueue make_todo", "ann@example.com", "Success", "API")]


def test_a_rolled_back_request_queues_nothing(app, client, make_script, make_todo, login_as, logs, run_jobs):
    make_script("Kick and fail", "frappe.enqueue('make_todo', description='never')\nfrappe.throw('changed my mind')",
                script_type="API", api_method="kick_fail")
    login_as("ann@example.com")
    r = client.post("/api/method/kick_fail")
    assert r.status_code == 417 and "changed my mind" in r.get_json()["exception"]
    run_jobs()
    assert _todos(app) == []
    assert logs(server_script="Make ToDo") == []


def test_doctype_event_scripts_enqueue_too_and_a_failed_save_queues_nothing(app, client, make_script, make_todo,
                                                                            login_as, run_jobs):
    make_script("Follow up", "frappe.enqueue('make_todo', queue='short', description='follow up ' + doc.title)",
                reference_doctype="Note", doctype_event="After Insert")
    make_script("Refuse secrets", "if 'secret' in doc.title:\n    frappe.throw('no secrets')",
                reference_doctype="Note", doctype_event="After Save")
    login_as("ann@example.com")
    assert client.post("/api/resource/Note", json={"title": "plans"}).status_code == 200
    assert client.post("/api/resource/Note", json={"title": "secret plans"}).status_code == 417
    run_jobs()
    assert [t["description"] for t in _todos(app)] == ["follow up plans"]


def test_a_failing_job_rolls_back_its_writes_and_shows_in_the_log(app, client, make_script, login_as, logs, run_jobs):
    make_script("Half done", "frappe.get_doc({'doctype': 'ToDo', 'description': 'half'}).insert()\n"
                             "x = 1\nraise frappe.ValidationError('job broke')", script_type="API", api_method="half")
    make_script("Kick half", "frappe.enqueue('half')", script_type="API", api_method="kick_half")
    login_as("ann@example.com")
    assert client.post("/api/method/kick_half").status_code == 200
    run_jobs()
    assert _todos(app) == []
    [row] = logs(server_script="Half done")
    assert row["status"] == "Error" and row["trigger"] == "enqueue half" and row["user"] == "ann@example.com"
    assert "job broke" in row["error"] and "line 3" in row["error"]
    assert client.get("/api/method/ping").status_code == 200


def test_unknown_disabled_or_private_method_fails_the_script_naming_it(client, make_script, login_as, make_todo):
    make_script("Off", "x = 1", script_type="API", api_method="off_method", disabled=1)
    make_script("Kick", "frappe.enqueue(frappe.form_dict.m)", script_type="API", api_method="kick")
    login_as("ann@example.com")
    for method, status, words in (("no_such_method", 403, ["not a whitelisted method", "'no_such_method'"]),
                                  ("off_method", 417, ["'Off'", "'off_method'", "disabled"]),
                                  ("login", 403, ["not a whitelisted method", "'login'"])):
        r = client.post("/api/method/kick", json={"m": method})
        assert r.status_code == status, method
        assert all(w in r.get_json()["exception"] for w in words), r.get_json()["exception"]


def test_a_whitelisted_builtin_method_is_queued_and_runs_as_the_user(app, client, make_script, login_as, held_jobs):
    make_script("Kick", "frappe.enqueue('frappe.client.insert', doc={'doctype': 'ToDo', 'description': 'queued'})",
                script_type="API", api_method="kick")
    make_script("Now", "frappe.response['message'] = frappe.enqueue('frappe.client.get_count', now=True, "
                       "doctype='ToDo')", script_type="API", api_method="now")
    login_as("ann@example.com")
    assert client.post("/api/method/kick").status_code == 200
    [(_job, _queue, payload)] = held_jobs.pushed
    assert payload["method"] == "frappe.client.insert" and payload["user"] == "ann@example.com"
    held_jobs.release()
    r = client.post("/api/method/now")
    assert r.status_code == 200 and r.get_json()["message"] == 1
    with app.app_context():
        from webapp.services import documents

        [todo] = documents.get_list("ToDo", fields=["description", "owner"], ignore_permissions=True)
    assert todo == {"description": "queued", "owner": "ann@example.com"}


def test_queue_names_are_default_short_long(client, make_script, login_as, make_todo, held_jobs):
    make_script("Kick", "frappe.enqueue('make_todo', queue=frappe.form_dict.q, description='x')", script_type="API",
                api_method="kick")
    login_as("ann@example.com")
    for queue in ("default", "short", "long"):
        assert client.post("/api/method/kick", json={"q": queue}).status_code == 200
    r = client.post("/api/method/kick", json={"q": "urgent"})
    assert r.status_code == 417 and "'urgent'" in r.get_json()["exception"] and "default, short, long" in \
        r.get_json()["exception"]
    assert [q for _job, q, _payload in held_jobs.pushed] == ["default", "short", "long"]


def test_now_runs_the_target_at_once_as_a_nested_call(client, make_script, login_as, logs, held_jobs):
    make_script("Double", "frappe.flags.double = frappe.form_dict.x * 2", script_type="API", api_method="double")
    make_script("Kick now", "frappe.response['message'] = [frappe.enqueue('double', now=True, x=2), "
                            "frappe.enqueue('double', is_async=False, x=5)]", script_type="API", api_method="kick_now")
    login_as("ann@example.com")
    assert client.post("/api/method/kick_now").get_json() == {"message": [{"double": 4}, {"double": 10}]}
    assert held_jobs.pushed == []
    assert [r["status"] for r in logs(server_script="Double")] == ["Success", "Success"]


def test_a_get_request_cannot_queue_a_job(client, make_script, login_as, make_todo, held_jobs):
    make_script("Kick", "frappe.enqueue('make_todo', description='x')", script_type="API", api_method="kick")
    login_as("ann@example.com")
    r = client.get("/api/method/kick")
    assert r.status_code == 417 and "POST" in r.get_json()["exception"]
    assert held_jobs.pushed == []


def test_frappe_options_are_accepted_and_kwargs_must_be_data(app, client, make_script, login_as, make_todo, run_jobs):
    make_script("Kick", "frappe.enqueue('make_todo', queue='long', timeout=600, job_name='nightly', at_front=True, "
                        "enqueue_after_commit=True, description='with options', when=frappe.utils.getdate('2024-01-02'))",
                script_type="API", api_method="kick")
    make_script("Kick bad", "frappe.enqueue('make_todo', description=frappe.get_doc)", script_type="API",
                api_method="kick_bad")
    login_as("ann@example.com")
    assert client.post("/api/method/kick").status_code == 200
    r = client.post("/api/method/kick_bad")
    assert r.status_code == 417 and "plain data" in r.get_json()["exception"] and "description" in r.get_json()["exception"]
    run_jobs()
    assert [(t["description"], t["reference_name"]) for t in _todos(app)] == [
        ("with options", "description,when|no request")]


def test_frappe_db_commit_queues_what_came_before_and_rollback_drops_it(client, make_script, login_as, make_todo,
                                                                       held_jobs):
    make_script("Commit then fail", "frappe.enqueue('make_todo', description='kept')\nfrappe.db.commit()\n"
                                    "frappe.enqueue('make_todo', description='lost')\nfrappe.throw('late failure')",
                script_type="API", api_method="commit_then_fail")
    make_script("Rollback then go", "frappe.enqueue('make_todo', description='dropped')\nfrappe.db.rollback()\n"
                                    "frappe.enqueue('make_todo', description='sent')", script_type="API",
                api_method="rollback_then_go")
    login_as("ann@example.com")
    assert client.post("/api/method/commit_then_fail").status_code == 417
    assert client.post("/api/method/rollback_then_go").status_code == 200
    assert [p["form_dict"]["description"] for _j, _q, p in held_jobs.pushed] == ["kept", "sent"]


def test_the_job_checks_the_switch_the_script_and_the_user_when_it_runs(app, client, make_script, login_as, logs,
                                                                        make_todo, make_user, held_jobs, site_config,
                                                                        admin_headers):
    make_script("Kick", "frappe.enqueue('make_todo', description='x')", script_type="API", api_method="kick")
    login_as("ann@example.com")

    def kick_and(change, *, expect: str) -> None:
        assert client.post("/api/method/kick").status_code == 200
        undo = change()
        held_jobs.release()
        if undo:
            undo()
        assert _todos(app) == []
        assert expect in logs(server_script="Make ToDo")[-1]["error"]

    def scripts_off():
        site_config(server_script_enabled=False)
        return lambda: site_config(server_script_enabled=True)

    def script_disabled():
        client.put("/api/resource/Server Script/Make ToDo", json={"disabled": 1}, headers=admin_headers)
        return lambda: client.put("/api/resource/Server Script/Make ToDo", json={"disabled": 0}, headers=admin_headers)

    def user_disabled():
        make_user("ann@example.com", enabled=False)
        return lambda: make_user("ann@example.com", enabled=True)

    kick_and(scripts_off, expect="server_script_enabled")
    kick_and(script_disabled, expect="'Make ToDo' is disabled")
    kick_and(user_disabled, expect="ann@example.com is disabled")
    statuses = [(r["status"], r["user"], r["trigger"]) for r in logs(server_script="Make ToDo")]
    assert statuses == [("Error", "ann@example.com", "enqueue make_todo")] * 3
    # And once everything is back, the same job runs.
    assert client.post("/api/method/kick").status_code == 200
    held_jobs.release()
    assert [t["description"] for t in _todos(app)] == ["x"]


def test_in_process_queue_runs_jobs_in_a_thread_and_wait_idle_waits(app, client, make_script, login_as, make_todo):
    """Without REDIS_URL: a daemon thread of this process runs the jobs; jobs.wait_idle() waits for it."""
    from webapp.services import jobs

    local = jobs.LocalQueue(app)
    before = app.extensions.get("job_queue")
    app.extensions["job_queue"] = local
    try:
        make_script("Kick", "for i in range(5):\n    frappe.enqueue('make_todo', description='job ' + str(i))",
                    script_type="API", api_method="kick")
        login_as("ann@example.com")
        assert client.post("/api/method/kick").status_code == 200
        with app.app_context():
            assert jobs.wait_idle(30) is True
        assert local.thread is not None and local.thread.name == "job-queue" and local.unfinished == 0
        assert [t["description"] for t in _todos(app)] == [f"job {i}" for i in range(5)]  # in order
    finally:
        local.wait_idle(30)
        app.extensions["job_queue"] = before


def test_worker_command_needs_redis(app):
    from webapp.services import jobs

    before = app.extensions.get("job_queue")
    app.extensions["job_queue"] = jobs.LocalQueue(app)
    try:
        result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    finally:
        app.extensions["job_queue"] = before
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output

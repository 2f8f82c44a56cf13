"""The Script API's breadth (#13): names Frappe hands a script, used the way Frappe scripts use them."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.usefixtures("enable_scripts")


def run_api(client, make_script, admin_headers, script: str, name: str = "probe"):
    make_script(name, script, script_type="API", api_method=name)
    r = client.post(f"/api/method/{name}", headers=admin_headers)
    return r


def value_of(client, make_script, admin_headers, script: str):
    r = run_api(client, make_script, admin_headers, script)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["message"]


def test_translation_underscore_returns_the_text(client, make_script, admin_headers):
    assert value_of(client, make_script, admin_headers,
                    'frappe.response["message"] = [_("Hello"), frappe._("World")]') == ["Hello", "World"]
    r = run_api(client, make_script, admin_headers, 'frappe.throw(_("Amount must be positive"))', "thrower")
    assert r.status_code == 417 and "Amount must be positive" in r.get_json()["exception"]


def test_frappe_utils_dates(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
u = frappe.utils
frappe.response["message"] = [
    u.month_diff("2024-03-31", "2024-01-01"), str(u.get_time("10:30:05")), u.format_time("14:05:00"),
    str(u.get_year_start("2024-05-17")), str(u.get_quarter_start("2024-05-17")), str(u.get_quarter_ending("2024-05-17")),
    str(u.get_year_ending("2024-05-17")), u.get_weekday(u.get_datetime("2024-05-17 10:00:00")), u.get_weekdays()[0],
    str(u.to_timedelta("01:30:00")), u.global_date_format("2024-01-05"), u.get_datetime_str("2024-01-05 10:00:00"),
    u.format_duration(93784), str(u.get_first_day_of_week("2024-05-17")), str(u.get_last_day_of_week("2024-05-17")),
    u.format_date("2024-01-05"), u.get_date_str("2024-01-05"), u.get_time_str("25:01:02"),
    u.is_invalid_date_string("0000-00-00"), u.DATE_FORMAT, u.get_month("2024-02-10"),
]
""")
    assert out == [3, "10:30:05", "14:05:00", "2024-01-01", "2024-04-01", "2024-06-30", "2024-12-31", "Friday",
                   "Monday", "1:30:00", "January 5, 2024", "2024-01-05 10:00:00.000000", "1d 2h 3m 4s",
                   "2024-05-12", "2024-05-18", "05-01-2024", "2024-01-05", "1:1:2", True, "%Y-%m-%d", "February"]


def test_timespan_date_range(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
frappe.response["message"] = [[str(d) for d in frappe.utils.get_timespan_date_range(t)]
                              for t in ("today", "this month", "last year")]
""")
    today = dt.date.today()
    assert out[0] == [str(today), str(today)]
    assert out[1][0] == str(today.replace(day=1))
    assert out[2] == [f"{today.year - 1}-01-01", f"{today.year - 1}-12-31"]


def test_frappe_utils_numbers_and_text(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
u = frappe.utils
frappe.response["message"] = [
    u.in_words(123), bool(u.has_common(["a", "b"], ["b", "c"])), bool(u.has_common(["a"], ["c"])),
    u.safe_div(10, 4), u.safe_div(1, 0), u.strip("\\u200b hi \\ufeff"), bool(u.is_html("<p>x</p>")),
    u.is_html("plain"), u.md_to_html("**bold**"), u.get_abbr("Server Scripts Team"), u.remainder(10, 3),
    u.get_number_format_info("#.###,##"), u.comma_sep(["a", "b", "c"], "{0} and {1}"),
    u.comma_sep(["a", "b"], "{0.__class__} {1}"), u.is_subset([1], [1, 2]), u.sha256_hash("x")[:8],
]
""")
    assert out == ["one hundred and twenty-three", True, False, 2.5, 0.0, "hi", True, False,
                   "<p><strong>bold</strong></p>", "SS", 1.0, [",", ".", 2], "'a', 'b' and 'c'",
                   "{0.__class__} 'b'", True, "2d711642"]


def test_frappe_utils_links(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
u = frappe.utils
frappe.response["message"] = [u.get_link_to_form("ToDo", "abc"), u.get_url_to_form("Expense Claim", "HR-1"),
                              u.get_url_to_list("ToDo"), u.get_absolute_url("ToDo", "a b")]
""")
    assert out == ['<a href="http://localhost/app/todo/abc">abc</a>', "http://localhost/app/expense-claim/HR-1",
                   "http://localhost/app/todo", "/app/todo/a%20b"]


def test_filters_helpers(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
u = frappe.utils
d = {"status": "Open", "priority": "High", "n": 5}
frappe.response["message"] = [u.evaluate_filters(d, {"status": "Open"}), u.evaluate_filters(d, [["n", ">", 7]]),
                              u.compare("abc", "like", "a%"), u.compare(3, "in", [1, 2, 3])]
""")
    assert out == [True, False, True, True]


def test_exceptions_with_frappe_statuses(client, make_script, admin_headers):
    cases = {"DataError": 417, "UpdateAfterSubmitError": 417, "UniqueValidationError": 417,
             "InvalidStatusError": 417, "LinkExistsError": 417, "CancelledLinkError": 417,
             "InvalidEmailAddressError": 417, "DocumentLockedError": 417, "QueryTimeoutError": 500,
             "TooManyRequestsError": 429, "CharacterLengthExceededError": 417, "NonNegativeError": 417,
             "InvalidDates": 417}
    for i, (name, status) in enumerate(cases.items()):
        r = run_api(client, make_script, admin_headers, f'raise frappe.{name}("no good")', f"raise_{i}")
        assert (r.status_code, r.get_json()["exc_type"]) == (status, name)
        if status != 500:
            assert "no good" in r.get_json()["exception"]
    caught = value_of(client, make_script, admin_headers, """
try:
    raise frappe.CancelledLinkError("x")
except frappe.LinkValidationError:
    frappe.response["message"] = "caught as its Frappe base"
""")
    assert caught == "caught as its Frappe base"


def test_system_settings_single_value_and_default(client, make_script, admin_headers, site_config):
    site_config(date_format="yyyy-mm-dd")
    out = value_of(client, make_script, admin_headers, """
frappe.response["message"] = [frappe.db.get_single_value("System Settings", "date_format"),
                              frappe.get_system_settings("float_precision"), frappe.db.get_default("date_format"),
                              frappe.db.get_default("no_such_key"), frappe.date_format, frappe.utils.formatdate("2024-01-05")]
""")
    assert out == ["yyyy-mm-dd", 3, "yyyy-mm-dd", None, "yyyy-mm-dd", "2024-01-05"]
    r = run_api(client, make_script, admin_headers, 'frappe.db.get_single_value("Selling Settings", "x")', "single")
    assert r.status_code == 404 and "DocType Selling Settings not found" in r.get_json()["exception"]
    r = run_api(client, make_script, admin_headers, 'frappe.get_system_settings("mail_password")', "secret")
    assert r.status_code == 417 and "System Settings has no field 'mail_password'" in r.get_json()["exception"]


def test_format_value(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
frappe.response["message"] = [frappe.format_value(1234.5, {"fieldtype": "Currency"}, currency="USD"),
                              frappe.format_value("2024-01-05", "Date"), frappe.format_value(None, "Data"),
                              frappe.format_value(7, {"fieldtype": "Int"})]
""")
    assert out == ["USD 1,234.50", "05-01-2024", "", "7"]


def test_copy_doc_and_get_mapped_doc(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
claim = frappe.get_doc({"doctype": "Expense Claim", "employee_name": "Ann", "remark": "trip",
                        "expenses": [{"expense_type": "Taxi", "amount": 12}, {"expense_type": "Food", "amount": 30}]})
claim.insert()
copy = frappe.copy_doc(claim)
copy.insert()
def only_big(row):
    return row.amount > 20
def finish(source, target):
    target.remark = "mapped from " + source.name
mapped = frappe.get_mapped_doc("Expense Claim", claim.name, {
    "Expense Claim": {"doctype": "Expense Claim", "field_map": {"employee_name": "employee_name"}},
    "Expense Claim Detail": {"doctype": "Expense Claim Detail", "condition": only_big}}, postprocess=finish)
frappe.response["message"] = [copy.name != claim.name, copy.employee_name, [r.expense_type for r in copy.expenses],
                              mapped.is_new(), mapped.employee_name, [r.expense_type for r in mapped.expenses],
                              mapped.remark == "mapped from " + claim.name]
""")
    assert out == [True, "Ann", ["Taxi", "Food"], True, "Ann", ["Food"], True]


def test_get_print_and_attach_print(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
todo = frappe.get_doc({"doctype": "ToDo", "description": "print me <b>now</b>"}).insert()
html = frappe.get_print("ToDo", todo.name)
att = frappe.attach_print("ToDo", todo.name, file_name="todo")
frappe.response["message"] = [todo.name in html, "print me &lt;b&gt;now&lt;/b&gt;" in html, att.fname,
                              len(att.fcontent) == len(html.encode())]
""")
    assert out == [True, True, "todo.html", True]


def test_transaction_hooks(client, make_script, admin_headers, logs):
    make_script("hooked", """
def done():
    frappe.get_doc({"doctype": "Note", "title": "after commit ran"}).insert()
frappe.db.after_commit.add(done)
frappe.get_doc({"doctype": "Note", "title": "main"}).insert()
""", script_type="API", api_method="hooked")
    assert client.post("/api/method/hooked", headers=admin_headers).status_code == 200
    names = [n["name"] for n in client.get("/api/resource/Note", headers=admin_headers).get_json()["data"]]
    assert sorted(names) == ["after commit ran", "main"]


def test_before_commit_error_rolls_back_and_after_rollback_runs(client, make_script, admin_headers):
    make_script("vetoed", """
def veto():
    frappe.throw("vetoed before commit")
def undone():
    frappe.log("rolled back")
frappe.db.before_commit.add(veto)
frappe.db.after_rollback.add(undone)
frappe.get_doc({"doctype": "Note", "title": "never kept"}).insert()
""", script_type="API", api_method="vetoed")
    r = client.post("/api/method/vetoed", headers=admin_headers)
    assert r.status_code == 417 and "vetoed before commit" in r.get_json()["exception"]
    assert client.get("/api/resource/Note", headers=admin_headers).get_json()["data"] == []


def test_a_hook_callback_runs_under_the_sandbox_budget(client, make_script, admin_headers, site_config):
    site_config(server_script_timeout=1)
    make_script("spin", """
def forever():
    while True:
        pass
frappe.db.before_commit.add(forever)
""", script_type="API", api_method="spin")
    r = client.post("/api/method/spin", headers=admin_headers)
    assert r.status_code == 417 and r.get_json()["exc_type"] == "ScriptTimeoutError"
    assert client.get("/api/method/ping").status_code == 200


def test_setattr_and_delattr_on_documents_and_dicts_only(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
todo = frappe.new_doc("ToDo")
setattr(todo, "description", "via setattr")
d = _dict(a=1, b=2)
setattr(d, "c", 3)
delattr(d, "a")
refused = []
for target, name in ((frappe, "get_doc"), (frappe.utils, "flt"), (todo, "__class__"), (d, "_secret"),
                     ([], "append"), (todo, "save")):
    try:
        setattr(target, name, 1)
    except TypeError:
        refused.append("TypeError")
    except AttributeError:
        refused.append("AttributeError")
frappe.response["message"] = [todo.description, d, refused]
""")
    assert out == ["via setattr", {"b": 2, "c": 3}, ["TypeError", "TypeError", "AttributeError", "AttributeError",
                                                      "TypeError", "AttributeError"]]


def test_top_level_helpers(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
frappe.response["message"] = [scrub("Sales Invoice"), frappe.scrub("A-b"), guess_mimetype("x.png")[0],
                              frappe.lang, frappe.full_name, frappe.time_format]
""")
    assert out == ["sales_invoice", "a_b", "image/png", "en", "Administrator", "HH:mm:ss"]


def test_orjson_website_and_the_rest(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
data = {"b": 1, "a": [1, 2]}
raw = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
w = frappe.website
frappe.response["message"] = [
    raw.decode(), orjson.loads(raw), frappe.utils.orjson_dumps({"x": 1}).decode(), style.border_color, dev_server,
    w.abs_url("blog/x"), w.abs_url("https://a.example/x"), w.extract_title("<h1>Hi <b>there</b></h1>", "/p"),
    w.extract_title("", "/blog/my-post"), w.get_home_page(),
    frappe.sanitize_html('<p onclick="evil()">ok<script>alert(1)</script></p>'), frappe.sanitize_html("a < b"),
    frappe.get_gravatar("Ann@Example.com "), frappe.get_hooks("doc_events"), frappe.get_hooks("x", default={"a": 1}),
    json.dumps({"d": frappe.utils.getdate("2024-01-05")}, default=frappe.json_handler),
    frappe.utils.add_trackers_to_url("https://a.example/p?x=1", "news", "spring"),
    frappe.utils.parse_and_map_trackers_from_url("https://a.example/?utm_source=s&utm_campaign=c&q=1"),
]
""")
    assert out == ['{"a":[1,2],"b":1}\n', {"a": [1, 2], "b": 1}, '{"x":1}', "#d1d8dd", 0, "/blog/x",
                   "https://a.example/x", "Hi there", "My Post", "app", "<p>ok</p>", "a < b",
                   "https://secure.gravatar.com/avatar/257c57037d384ae37ea27a07e8a01665?d=mm&s=200", [], {"a": 1},
                   '{"d": "2024-01-05"}',
                   "https://a.example/p?x=1&utm_source=news&utm_medium=email&utm_campaign=spring",
                   {"utm_source": "s", "utm_campaign": "c"}]


def test_shared_namespaces_are_read_only(client, make_script, admin_headers):
    out = value_of(client, make_script, admin_headers, """
refused = 0
for target in (style, orjson, frappe.website, frappe.qb):
    try:
        target.border_color = "red"
    except (TypeError, AttributeError):
        refused += 1
frappe.response["message"] = [refused, style.border_color]
""")
    assert out == [4, "#d1d8dd"]

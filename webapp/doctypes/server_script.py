"""Server Script and Server Script Log, with Frappe's field names (so Frappe fixtures load as they are)."""

from __future__ import annotations

from webapp.doctypes.events import DOCTYPE_EVENT_MAP
from webapp.doctypes.meta import DocType, Field, Index, Perm

SCRIPT_TYPES = ("DocType Event", "Scheduler Event", "Permission Query", "API")
EVENT_FREQUENCIES = ("All", "Hourly", "Daily", "Weekly", "Monthly", "Yearly", "Cron")
LOG_STATUSES = ("Success", "Error", "Timeout", "Memory")
FAILED_ROWS = "status <> 'Success'"  # the failed runs' rows (Error, Timeout, Memory)

SERVER_SCRIPT = DocType(
    "Server Script",
    naming="prompt",
    title_field="name",
    module="Core",
    description="Python that runs on the server on document events, as an API method, on a schedule, "
                "or to filter lists.",
    permissions=[Perm("System Manager", read=True, write=True, create=True, delete=True)],
    script_events=False,
    customizable=False,
    direct_writes=False,
    fields=[
        Field("script_type", "Select", options="\n".join(SCRIPT_TYPES), reqd=True, in_list_view=True,
              in_standard_filter=True),
        Field("reference_doctype", "Data", label="Reference Document Type", in_list_view=True,
              in_standard_filter=True, depends_on="script_type:DocType Event,Permission Query"),
        Field("doctype_event", "Select", label="DocType Event", options="\n" + "\n".join(DOCTYPE_EVENT_MAP),
              in_list_view=True, depends_on="script_type:DocType Event"),
        Field("api_method", "Data", label="API Method", search_index=True, depends_on="script_type:API",
              description="Called at /api/method/<API Method>"),
        Field("allow_guest", "Check", default=0, depends_on="script_type:API"),
        Field("enable_rate_limit", "Check", default=0, depends_on="script_type:API"),
        Field("rate_limit_count", "Int", default=5,
              depends_on="eval:doc.script_type=='API' && doc.enable_rate_limit"),
        Field("rate_limit_seconds", "Int", default=86400,
              depends_on="eval:doc.script_type=='API' && doc.enable_rate_limit"),
        Field("event_frequency", "Select", options="\n" + "\n".join(EVENT_FREQUENCIES),
              depends_on="script_type:Scheduler Event",
              description="All: every 4 minutes; Hourly, Daily, Weekly (Sunday), Monthly, Yearly: at the start "
                          "of each period (server time); run by: .venv/bin/flask --app wsgi scheduler"),
        Field("cron_format", "Data", depends_on="eval:doc.script_type=='Scheduler Event' && doc.event_frequency=='Cron'",
              description="Five fields: minute hour day-of-month month day-of-week, e.g. */15 * * * *"),
        Field("disabled", "Check", default=0, in_list_view=True, in_standard_filter=True),
        Field("script", "Code", description="Python"),
        Field("module", "Data", hidden=True),
    ],
)

SERVER_SCRIPT_LOG = DocType(
    "Server Script Log",
    naming="hash",
    read_only=True,
    module="Core",
    title_field="server_script",
    sort_field="started",
    permissions=[Perm("System Manager", read=True)],
    script_events=False,
    customizable=False,
    # A script's runs in a time window (its health, its recent runs); the latest failures of all
    # scripts and of one script, in indexes of the failed rows only (a successful run's row, most
    # rows, costs nothing more to write). services/health.py writes FAILED_ROWS the same way.
    indexes=(Index(("server_script", "started")), Index(("started",), where=FAILED_ROWS, suffix="failed"),
             Index(("server_script", "started"), where=FAILED_ROWS, suffix="failed")),
    fields=[
        Field("server_script", "Data", in_list_view=True, in_standard_filter=True, search_index=True),
        Field("script_type", "Data", in_list_view=True),
        Field("trigger", "Data", in_list_view=True),
        Field("user", "Data"),
        Field("started", "Datetime", in_list_view=True, in_standard_filter=True, search_index=True),
        Field("duration_ms", "Float", label="Duration", in_list_view=True),
        Field("status", "Select", options="\n".join(LOG_STATUSES), in_list_view=True, in_standard_filter=True),
        Field("output", "Text"),
        Field("error", "Text"),
    ],
)

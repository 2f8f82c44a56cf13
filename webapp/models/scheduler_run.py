"""The last period each Scheduler Event script was claimed for, so that a restarted scheduler neither
skips nor repeats a period and two schedulers never run the same one (see runtime/scheduler.py)."""

import datetime as dt

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class SchedulerRun(db.Model):
    # Not a `tab*` table: scripts' read-only SQL cannot see it.
    __tablename__ = "__scheduler_run"
    server_script: Mapped[str] = mapped_column(String(140), primary_key=True)
    # The scheduled time of the last period claimed (not when it ran): the next run is the first
    # scheduled time after it.
    last_run: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

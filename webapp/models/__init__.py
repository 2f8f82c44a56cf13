"""ORM models of the tables the app itself owns. Doctype tables (`tab<DocType>`) are built from
the doctype declarations (webapp/doctypes); User and its roles are doctypes with ORM models too."""

from webapp.models.scheduler_run import SchedulerRun
from webapp.models.script_version import ScriptVersion
from webapp.models.series import Series
from webapp.models.singles import Singles
from webapp.models.user import HasRole, Role, User, UserAuth

__all__ = ["HasRole", "Role", "SchedulerRun", "ScriptVersion", "Series", "Singles", "User", "UserAuth"]

"""Fine-grained access for Application users: grants per resource family and action, plus
field grants for sensitive data. An Application user holds only the grants an administrator
gave it in the admin; new Application users hold none (least privilege)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

FAMILIES = {
    "users": _("Users"),
    "relations": _("Relations and groups"),
    "families": _("Families"),
    "care_status": _("Care status"),
    "invitations": _("Invitations"),
    "messages": _("Messages"),
    "appointments": _("Appointments"),
    "goals": _("Goals"),
    "reports": _("Reports and diary"),
    "documents": _("Documents"),
}


class Grant(models.TextChoices):
    USERS_READ = "users:read", _("Users — read")
    USERS_WRITE = "users:write", _("Users — write")
    RELATIONS_READ = "relations:read", _("Relations and groups — read")
    RELATIONS_WRITE = "relations:write", _("Relations and groups — write")
    FAMILIES_READ = "families:read", _("Families — read")
    FAMILIES_WRITE = "families:write", _("Families — write")
    CARE_STATUS_READ = "care_status:read", _("Care status — read")
    CARE_STATUS_WRITE = "care_status:write", _("Care status — write")
    INVITATIONS_READ = "invitations:read", _("Invitations — read")
    INVITATIONS_WRITE = "invitations:write", _("Invitations — write")
    MESSAGES_READ = "messages:read", _("Messages — read")
    MESSAGES_WRITE = "messages:write", _("Messages — write")
    APPOINTMENTS_READ = "appointments:read", _("Appointments — read")
    APPOINTMENTS_WRITE = "appointments:write", _("Appointments — write")
    GOALS_READ = "goals:read", _("Goals — read")
    GOALS_WRITE = "goals:write", _("Goals — write")
    REPORTS_READ = "reports:read", _("Reports and diary — read")
    REPORTS_WRITE = "reports:write", _("Reports and diary — write")
    DOCUMENTS_READ = "documents:read", _("Documents — read")
    DOCUMENTS_WRITE = "documents:write", _("Documents — write")
    BSN = "bsn", _("BSN — read and write the citizen service number")
    AUDIT = "audit", _("Access log — read")
    WEBHOOKS = "webhooks", _("Webhooks — subscribe to events of what the application may read")
    DELETED = "deleted", _("Deleted content — read the text of deleted messages, reports and "
                           "other content (lists with ?include_deleted=true)")


def for_action(family: str, safe: bool) -> str:
    """The grant an action on a resource family needs: `<family>:read` for GET/HEAD/OPTIONS,
    `<family>:write` for the rest."""
    return f"{family}:{'read' if safe else 'write'}"


def clean(grants) -> list[str]:
    """Known grants only, each once, in a stable order."""
    wanted = set(grants or [])
    return [g for g in Grant.values if g in wanted]

"""Fine-grained access for Application users: grants per resource family and action, plus
field grants for sensitive data. An Application user holds only the grants an administrator
gave it in the admin; new Application users hold none (least privilege)."""

from __future__ import annotations

from django.db import models

FAMILIES = {
    "users": "Users",
    "relations": "Relations and groups",
    "families": "Families",
    "care_status": "Care status",
    "invitations": "Invitations",
}


class Grant(models.TextChoices):
    USERS_READ = "users:read", "Users — read"
    USERS_WRITE = "users:write", "Users — write"
    RELATIONS_READ = "relations:read", "Relations and groups — read"
    RELATIONS_WRITE = "relations:write", "Relations and groups — write"
    FAMILIES_READ = "families:read", "Families — read"
    FAMILIES_WRITE = "families:write", "Families — write"
    CARE_STATUS_READ = "care_status:read", "Care status — read"
    CARE_STATUS_WRITE = "care_status:write", "Care status — write"
    INVITATIONS_READ = "invitations:read", "Invitations — read"
    INVITATIONS_WRITE = "invitations:write", "Invitations — write"
    BSN = "bsn", "BSN — read and write the citizen service number"
    AUDIT = "audit", "Access log — read"


def for_action(family: str, safe: bool) -> str:
    """The grant an action on a resource family needs: `<family>:read` for GET/HEAD/OPTIONS,
    `<family>:write` for the rest."""
    return f"{family}:{'read' if safe else 'write'}"


def clean(grants) -> list[str]:
    """Known grants only, each once, in a stable order."""
    wanted = set(grants or [])
    return [g for g in Grant.values if g in wanted]

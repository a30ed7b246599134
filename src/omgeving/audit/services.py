"""Writing and exporting the access log."""

from __future__ import annotations

import csv
import io
import json
import uuid

from django.utils import timezone
from rest_framework.exceptions import APIException

from omgeving.api.client import client_ip

from .models import AccessLogEntry, Action

ACTIONS = {
    "list": Action.READ, "retrieve": Action.READ, "create": Action.CREATE,
    "update": Action.UPDATE, "partial_update": Action.UPDATE, "destroy": Action.DELETE,
}


def _sensitive(representation, request_data, fields) -> list[str]:
    found = set()
    if isinstance(representation, dict):
        found |= {f for f in fields if representation.get(f) not in (None, "", [])}
    if hasattr(request_data, "keys"):
        found |= {f for f in fields if f in request_data}
    return sorted(found)


def record(*, request, organization, actor, resource: str, view_action: str,
           subjects: list, representations: dict, sensitive_fields=(), status: int) -> None:
    """One row per person the request reached (one row without a person if it reached
    none), written with a single INSERT."""
    django_request = getattr(request, "_request", request)
    common = {
        "organization": organization,
        "request_id": uuid.uuid4(),
        "timestamp": timezone.now(),
        "actor": actor,
        "actor_username": actor.username,
        "resource": resource,
        "action": ACTIONS.get(view_action, Action.READ),
        "method": django_request.method,
        "path": django_request.path[:500],
        "query": django_request.META.get("QUERY_STRING", "")[:1000],
        "ip": client_ip(django_request) or None,
        "status": status,
    }
    request_data = None
    if django_request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            request_data = request.data
        except APIException:  # unparsable body (400/415): nothing was written
            pass
    seen, rows = set(), []
    for subject in subjects:
        if subject.pk in seen:
            continue
        seen.add(subject.pk)
        rows.append(AccessLogEntry(
            subject=subject,
            sensitive_fields=_sensitive(representations.get(subject.pk), request_data,
                                        sensitive_fields),
            **common))
    if not rows:
        rows.append(AccessLogEntry(subject=None, **common))
    AccessLogEntry.objects.bulk_create(rows)


EXPORT_FIELDS = ["timestamp", "actor_username", "resource", "action", "sensitive_fields",
                 "method", "path", "status", "ip", "request_id"]


def _export_rows(organization, person):
    entries = (AccessLogEntry.objects.for_organization(organization)
               .filter(subject=person).order_by("timestamp", "id"))
    for entry in entries:
        yield {
            "timestamp": entry.timestamp.isoformat(),
            "actor_username": entry.actor_username,
            "resource": entry.resource,
            "action": entry.action,
            "sensitive_fields": entry.sensitive_fields,
            "method": entry.method,
            "path": entry.path,
            "status": entry.status,
            "ip": entry.ip,
            "request_id": str(entry.request_id),
        }


def export_json(organization, person) -> str:
    return json.dumps({
        "person": {"id": person.pk, "username": person.username},
        "organization": organization.slug,
        "exported": timezone.now().isoformat(),
        "entries": list(_export_rows(organization, person)),
    }, indent=2)


def export_csv(organization, person) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in _export_rows(organization, person):
        writer.writerow({**row, "sensitive_fields": " ".join(row["sensitive_fields"])})
    return out.getvalue()

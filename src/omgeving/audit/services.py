"""Writing and exporting the access log."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import NamedTuple

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import APIException

from omgeving.api.client import client_ip
from omgeving.timestamps import rfc3339

from .models import AccessLogEntry, AccessRefusal, Action

ACTIONS = {
    "list": Action.READ, "retrieve": Action.READ, "create": Action.CREATE,
    "update": Action.UPDATE, "partial_update": Action.UPDATE, "destroy": Action.DELETE,
}
BY_METHOD = {"GET": Action.READ, "HEAD": Action.READ, "POST": Action.CREATE,
             "PUT": Action.UPDATE, "PATCH": Action.UPDATE, "DELETE": Action.DELETE}


class Subject(NamedTuple):
    """A person known by id only (a row of a list read as rows)."""

    pk: int


def action_for(view_action: str | None, method: str, custom: dict[str, str]) -> str:
    """The true action of a request: a view's own word for a custom action, the standard
    actions by name, anything else by its HTTP method."""
    if view_action in custom:
        return Action(custom[view_action])
    return ACTIONS.get(view_action) or BY_METHOD.get(method, Action.READ)


def still_existing(subjects: list) -> list:
    """After a rolled-back write: the subjects that exist (a person created by the write
    does not)."""
    if not subjects:
        return []
    from omgeving.accounts.models import User

    ids = set(User.objects.all_organizations().filter(pk__in={s.pk for s in subjects})
              .values_list("pk", flat=True))
    return [s for s in subjects if s.pk in ids]


def record_refusal(*, organization, actor, resource: str, action: str, status: int) -> None:
    """A refused or failed request that reached no person: one counter per actor, resource,
    action, status and minute, so a refused token cannot flood the log."""
    now = timezone.now()
    key = {"organization": organization, "actor": actor, "resource": resource,
           "action": action, "status": status, "minute": now.replace(second=0, microsecond=0)}
    rows = AccessRefusal.objects.for_organization(organization)
    if rows.filter(**key).update(count=F("count") + 1, last_at=now):
        return
    try:
        with transaction.atomic():
            rows.create(**key, actor_username=actor.username, count=1, last_at=now)
    except IntegrityError:  # another request created this minute's counter first
        rows.filter(**key).update(count=F("count") + 1, last_at=now)


def _sensitive(representation, request_data, fields) -> list[str]:
    found = set()
    if isinstance(representation, dict):
        found |= {f for f in fields if representation.get(f) not in (None, "", [])}
    if hasattr(request_data, "keys"):
        found |= {f for f in fields if f in request_data}
    return sorted(found)


def record(*, request, organization, actor, resource: str, action: str,
           subjects: list, representations: dict, sensitive_fields=(), status: int) -> None:
    """One row per person the request reached (one row without a person if it reached
    none), written with a single INSERT."""
    common = {
        "organization": organization.pk,
        # The request's id (omgeving/logs.py): the same on its log lines and its answer.
        "request_id": getattr(request, "id", None) or uuid.uuid4(),
        "timestamp": timezone.now(),
        "actor": actor.pk,
        "actor_username": actor.username,
        "resource": resource,
        "action": str(action),
        "method": request.method,
        "path": request.path[:500],
        "query": request.META.get("QUERY_STRING", "")[:1000],
        "ip": client_ip(request) or None,
        "status": status,
    }
    request_data = None
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            request_data = getattr(request, "data", None) or getattr(request, "POST", None)
        except APIException:  # unparsable body (400/415): nothing was written
            pass
    seen, rows = set(), []
    for subject in subjects:
        if subject.pk in seen:
            continue
        seen.add(subject.pk)
        rows.append((subject.pk, tuple(_sensitive(representations.get(subject.pk),
                                                  request_data, sensitive_fields))
                     if sensitive_fields else ()))
    _insert(common, rows or [(None, ())])


_FIELDS: list = []  # the model fields of _COLUMNS, looked up once
_HEADS: dict[str, str] = {}  # database alias → "INSERT INTO … (columns) VALUES "
_COLUMNS = ("organization", "request_id", "timestamp", "actor", "actor_username", "resource",
            "action", "method", "path", "query", "ip", "status", "subject", "sensitive_fields")


def _insert(common: dict, rows: list[tuple]) -> None:
    """The rows of one request as one multi-row INSERT: no model instances, each value
    prepared by its model field once per request (the per-person part is the subject's id
    and its sensitive fields). What the ORM's bulk_create would write, at a fraction of its
    cost on the hot path."""
    connection = connections[router.db_for_write(AccessLogEntry)]
    if not _FIELDS:
        _FIELDS.extend(AccessLogEntry._meta.get_field(name) for name in _COLUMNS)
    fields = _FIELDS
    shared = [f.get_db_prep_save(common[f.name], connection) for f in fields[:-2]]
    sensitive, prepared = fields[-1], {}
    params = []
    for subject, found in rows:
        if found not in prepared:
            prepared[found] = sensitive.get_db_prep_save(list(found), connection)
        params.append((*shared, subject, prepared[found]))
    head = _HEADS.get(connection.alias)
    if head is None:
        quote = connection.ops.quote_name
        head = _HEADS[connection.alias] = (
            f"INSERT INTO {quote(AccessLogEntry._meta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) VALUES ")
    one = f"({', '.join(['%s'] * len(fields))})"
    batch = connection.ops.bulk_batch_size(fields, params) or len(params)
    with connection.cursor() as cursor:
        for start in range(0, len(params), batch):
            chunk = params[start:start + batch]
            cursor.execute(head + ", ".join([one] * len(chunk)),
                           [value for row in chunk for value in row])


def record_admin(request, *, person, resource: str, action: str, status: int = 200,
                 sensitive_fields=()) -> None:
    """A person's data shown or changed in the admin (the page shows every field)."""
    record(request=request, organization=person.organization, actor=request.user,
           resource=resource, action=action, subjects=[person],
           representations={person.pk: {f: getattr(person, f, None) for f in sensitive_fields}},
           sensitive_fields=sensitive_fields, status=status)


EXPORT_FIELDS = ["timestamp", "actor_username", "resource", "action", "sensitive_fields",
                 "method", "path", "status", "ip", "request_id"]


def _export_rows(organization, person):
    entries = (AccessLogEntry.objects.for_organization(organization)
               .filter(subject=person).order_by("timestamp", "id"))
    for entry in entries:
        yield {
            "timestamp": rfc3339(entry.timestamp),
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
        "exported": rfc3339(timezone.now()),
        "entries": list(_export_rows(organization, person)),
    }, indent=2)


def export_csv(organization, person) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in _export_rows(organization, person):
        writer.writerow({**row, "sensitive_fields": " ".join(row["sensitive_fields"])})
    return out.getvalue()

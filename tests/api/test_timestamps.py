"""One style for every timestamp a machine reads: RFC 3339 in UTC with `Z` — in objects,
lists, the change feed, the access log, webhook payloads and the access log's export."""

from __future__ import annotations

import json
import re

import pytest

from omgeving.audit import services as audit
from omgeving.changes.models import ChangeEvent
from omgeving.webhooks.services import payload_of

from ..helpers import make_person

pytestmark = pytest.mark.django_db
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
LOOKS_LIKE_ONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def timestamps(data) -> list[str]:
    if isinstance(data, dict):
        return [t for v in data.values() for t in timestamps(v)]
    if isinstance(data, list):
        return [t for v in data for t in timestamps(v)]
    return [data] if isinstance(data, str) and LOOKS_LIKE_ONE.match(data) else []


def test_every_timestamp_is_utc_with_z(api_a, org_a):
    joost = make_person(org_a, "joost")
    answers = [api_a.get(path).json() for path in (
        f"/api/users/{joost.pk}/", "/api/users/", "/api/changes/", "/api/access-log/")]
    event = ChangeEvent.objects.for_organization(org_a).first()
    answers.append(payload_of(event, org_a))
    answers.append(json.loads(audit.export_json(org_a, joost)))
    found = timestamps(answers)
    assert len(found) >= 8, found
    assert [t for t in found if not TIMESTAMP.match(t)] == []

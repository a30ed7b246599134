"""Safe retries: `Idempotency-Key` on any POST of the API (token endpoints excepted: they
have no Application user yet, and a second login is harmless).

- The same key with the same request (method, path, query, body) within
  OMGEVING_IDEMPOTENCY_TTL (24 hours) replays the stored answer, with
  `Idempotent-Replayed: true`; nothing runs again. The replay passes the same authentication
  and grant checks as the request would (a revoked grant is 403, not a replay), and is a read
  of the persons the answer shows, in the access log as such.
- The same key with another request: **422** `idempotency_key_reused`.
- The same key while the first request still runs: **409** `idempotency_key_in_use`, with
  `Retry-After`.
- Keys belong to one Application user; 1–255 printable ASCII characters, else **400**
  `invalid_idempotency_key`.
- Answers of 5xx are not kept (the request may be retried with the same key); every other
  answer is, 4xx included (a retry gets the same refusal).
- What is shown once is never stored: the values of `secret`, `token` and `bsn` are left out
  of the stored answer, and a replay names the fields it leaves out in
  `Idempotent-Omitted` (a webhook's secret, an invitation's link token, a BSN).

**Crashes.** The key is claimed in its own committed transaction before the request runs
(so a concurrent duplicate sees it), as *running*, with an owner and a lease of
OMGEVING_IDEMPOTENCY_LEASE seconds. The answer is stored in the request's own transaction,
and only while the claim is still the owner's: the write and its answer commit together or
not at all. So a retry after a crash finds either the committed answer (replayed) or a
running key whose lease has run out, which it takes over and runs again. A request that
outlives its lease and was taken over is rolled back and answered 409.

Expired keys are pruned: a claim removes its own key's expired answer, and the worker's sweep
removes everyone's (`prune()`, through tenancy/housekeeping.py) — not each POST, which would
cost every retried write two more queries.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyKey
from .problems import problem_response

HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
NOT_STORED = frozenset({"secret", "token", "bsn"})  # shown once, never kept for a replay


def fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.META.get("QUERY_STRING", "")):
        digest.update(part.encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _expired():
    return timezone.now() - datetime.timedelta(seconds=settings.IDEMPOTENCY_TTL)


def _lease():
    return timezone.now() + datetime.timedelta(seconds=settings.IDEMPOTENCY_LEASE)


def prune() -> int:
    """Remove every organisation's expired keys; how many were removed."""
    return IdempotencyKey.objects.all_organizations().filter(
        created__lt=_expired()).delete()[0]


def claim(organization, actor, key: str, print_: str, *, again: bool = True):
    """(claimed row, None) for a request to run, or (row or None, answer) when it is a replay
    (with its row) or a refusal."""
    if not VALID_KEY.match(key):
        return None, problem_response(400, code="invalid_idempotency_key", detail=(
            _("An Idempotency-Key is 1 to 255 printable ASCII characters.")))
    keys = IdempotencyKey.objects.for_organization(organization)
    owner = secrets.token_hex(16)
    with transaction.atomic():  # this key's own expired answer (the sweep prunes the rest)
        keys.filter(actor=actor, key=key, created__lt=_expired()).delete()
    try:
        with transaction.atomic():
            row = keys.create(organization=organization, actor=actor, key=key,
                              fingerprint=print_, created=timezone.now(), owner=owner,
                              lease_until=_lease())
        return row, None
    except IntegrityError:
        pass
    existing = keys.filter(actor=actor, key=key).first()
    if existing is None and again:  # deleted between the two statements: try once more
        return claim(organization, actor, key, print_, again=False)
    if existing is None:
        return None, _in_use(1)
    if existing.fingerprint != print_:
        return None, problem_response(422, code="idempotency_key_reused", detail=(
            _("This Idempotency-Key was used for another request. Use a new key for a new "
            "request.")))
    if existing.state == IdempotencyKey.State.RUNNING:
        now = timezone.now()
        taken = keys.filter(pk=existing.pk, state=IdempotencyKey.State.RUNNING).filter(
            Q(lease_until__lt=now) | Q(lease_until__isnull=True)).update(
            owner=owner, lease_until=_lease())
        if taken:  # its run died (a crash): run it again
            existing.owner = owner
            return existing, None
        return None, _in_use(max(1, int((existing.lease_until - now).total_seconds()) + 1))
    return existing, replay(existing)


def _in_use(seconds: int):
    response = problem_response(409, code="idempotency_key_in_use", detail=(
        _("A request with this Idempotency-Key is still running; retry shortly.")))
    response["Retry-After"] = str(seconds)
    return response


def replay(row: IdempotencyKey):
    from django.http import HttpResponse

    response = HttpResponse(bytes(row.body), status=row.status,
                            content_type=row.content_type or None)
    response["Idempotent-Replayed"] = "true"
    omitted = sorted(_keys_in(_json(row)) & NOT_STORED)
    if omitted:
        response["Idempotent-Omitted"] = ", ".join(omitted)
    return response


def _json(row):
    try:
        return json.loads(bytes(row.body)) if "json" in row.content_type else None
    except ValueError:
        return None


def _keys_in(data) -> set[str]:
    if isinstance(data, dict):
        return {k for k, v in data.items() if v is None and k in NOT_STORED} | {
            k for v in data.values() for k in _keys_in(v)}
    if isinstance(data, list):
        return {k for v in data for k in _keys_in(v)}
    return set()


def _without_secrets(data):
    """The answer as stored: the values of NOT_STORED fields replaced by null."""
    if isinstance(data, dict):
        return {k: (None if k in NOT_STORED and v else _without_secrets(v))
                for k, v in data.items()}
    if isinstance(data, list):
        return [_without_secrets(v) for v in data]
    return data


def complete(row: IdempotencyKey, response, subjects: list[int]) -> bool:
    """Store the answer — in the caller's transaction, the request's own — if the claim is
    still this run's. False when another run took it over (the caller rolls back)."""
    keys = IdempotencyKey.objects.for_organization(row.organization_id).filter(
        pk=row.pk, owner=row.owner, state=IdempotencyKey.State.RUNNING)
    if response.status_code >= 500:
        keys.delete()
        return True
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    content_type = response.get("Content-Type", "")
    body = response.content
    if "json" in content_type:
        try:
            body = json.dumps(_without_secrets(json.loads(body)),
                              separators=(",", ":")).encode()
        except ValueError:
            pass
    return bool(keys.update(state=IdempotencyKey.State.DONE, status=response.status_code,
                            content_type=content_type, body=body, subjects=subjects,
                            lease_until=None))


def release(row: IdempotencyKey) -> None:
    IdempotencyKey.objects.for_organization(row.organization_id).filter(
        pk=row.pk, owner=row.owner).delete()


def lost(row: IdempotencyKey):
    """The answer of a run whose claim was taken over (it outlived its lease)."""
    return _in_use(1)

"""Safe retries: `Idempotency-Key` on any POST of the API (token endpoints excepted: they
have no Application user yet, and a second login is harmless).

- The same key with the same request (method, path, query, body) within
  OMGEVING_IDEMPOTENCY_TTL (24 hours) replays the stored answer, with
  `Idempotent-Replayed: true`; nothing runs again. The replay is a read of the persons the
  answer shows and is in the access log as such.
- The same key with another request: **422** `idempotency_key_reused`.
- The same key while the first request still runs: **409** `idempotency_key_in_use`.
- Keys belong to one Application user; 1–255 printable ASCII characters, else **400**
  `invalid_idempotency_key`.
- Answers of 5xx are not kept (the request may be retried with the same key); every other
  answer is, 4xx included (a retry gets the same refusal).

The key is claimed in its own committed transaction before the request runs, so a
concurrent duplicate sees it; the answer is stored after the request's transaction.
"""

from __future__ import annotations

import datetime
import hashlib
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyKey
from .problems import problem_response

HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.META.get("QUERY_STRING", "")):
        digest.update(part.encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def claim(organization, actor, key: str, print_: str, *, again: bool = True):
    """(claimed row, None) for a new request, or (None, answer) when it is a replay or a
    refusal."""
    if not VALID_KEY.match(key):
        return None, problem_response(400, code="invalid_idempotency_key", detail=(
            _("An Idempotency-Key is 1 to 255 printable ASCII characters.")))
    keys = IdempotencyKey.objects.for_organization(organization)
    expired = timezone.now() - datetime.timedelta(seconds=settings.IDEMPOTENCY_TTL)
    with transaction.atomic():
        keys.filter(actor=actor, key=key, created__lt=expired).delete()
    try:
        with transaction.atomic():
            row = keys.create(organization=organization, actor=actor, key=key,
                              fingerprint=print_, created=timezone.now())
        return row, None
    except IntegrityError:
        pass
    existing = keys.filter(actor=actor, key=key).first()
    if existing is None and again:  # deleted between the two statements: try once more
        return claim(organization, actor, key, print_, again=False)
    if existing is None:
        return None, problem_response(409, code="idempotency_key_in_use", detail=(
            _("A request with this Idempotency-Key is being settled; retry shortly.")))
    if existing.fingerprint != print_:
        return None, problem_response(422, code="idempotency_key_reused", detail=(
            _("This Idempotency-Key was used for another request. Use a new key for a new "
            "request.")))
    if existing.state == IdempotencyKey.State.RUNNING:
        return None, problem_response(409, code="idempotency_key_in_use", detail=(
            _("A request with this Idempotency-Key is still running; retry shortly.")))
    return existing, replay(existing)


def replay(row: IdempotencyKey):
    from django.http import HttpResponse

    response = HttpResponse(bytes(row.body), status=row.status,
                            content_type=row.content_type or None)
    response["Idempotent-Replayed"] = "true"
    return response


def complete(row: IdempotencyKey, response, subjects: list[int]) -> None:
    if response.status_code >= 500:
        row.delete()
        return
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    row.state = IdempotencyKey.State.DONE
    row.status = response.status_code
    row.content_type = response.get("Content-Type", "")
    row.body = response.content
    row.subjects = subjects
    row.save(update_fields=["state", "status", "content_type", "body", "subjects"])


def release(row: IdempotencyKey) -> None:
    IdempotencyKey.objects.for_organization(row.organization_id).filter(pk=row.pk).delete()

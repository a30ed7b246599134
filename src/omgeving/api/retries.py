"""The frame's outermost mixins, which run before any transaction: a bulk request's slot of
its application (api/slots.py) and a POST's Idempotency-Key (api/idempotency.py)."""

from __future__ import annotations

from django.db import transaction
from rest_framework import exceptions

from omgeving.audit import services as audit

from . import idempotency, slots
from .problems import problem_response


class BulkSlotMixin:
    """Outermost: a bulk request takes one of its application's slots before any
    transaction begins (on SQLite a write transaction waits for the one write lock), or is
    answered 429 at once (api/slots.py)."""

    def dispatch(self, request, *args, **kwargs):
        actor = _actor(request) if request.method == "POST" and \
            request.path_info.endswith("/bulk/") else None
        if actor is None:
            return super().dispatch(request, *args, **kwargs)
        try:
            with slots.bulk_slot(actor.pk):
                return super().dispatch(request, *args, **kwargs)
        except slots.TooManyBulkRequests as busy:
            response = problem_response(429, code=busy.default_code, detail=str(busy.detail))
            response["Retry-After"] = str(busy.wait)
            return response


class IdempotencyMixin:
    """Outermost: a POST with an Idempotency-Key is claimed before anything runs; the request
    and its stored answer share one transaction; a replay passes the frame's checks first
    (see api/idempotency.py)."""

    def dispatch(self, request, *args, **kwargs):
        key = request.headers.get(idempotency.HEADER)
        actor = _actor(request) if request.method == "POST" and key is not None else None
        if actor is None:  # no key, or no valid token (the frame then answers 401)
            return super().dispatch(request, *args, **kwargs)
        row, answer = idempotency.claim(request.organization, actor, key,
                                        idempotency.fingerprint(request))
        if answer is not None:
            if row is None:
                return answer
            refusal = self._refused(request, *args, **kwargs)  # grants as of now
            if refusal is not None:
                return refusal
            self._log_replay(request, actor, row)
            return answer
        try:
            with transaction.atomic():
                response = super().dispatch(request, *args, **kwargs)
                if not idempotency.complete(
                        row, response, [s.pk for s in getattr(self, "_audit_subjects", [])]):
                    transaction.set_rollback(True)  # taken over after its lease: undone
                    return idempotency.lost(row)
        except BaseException:
            idempotency.release(row)
            raise
        return response

    def _refused(self, request, *args, **kwargs):
        """The frame's answer when the request would be refused before running (token,
        grants, feature), else None."""
        self.args, self.kwargs = args, kwargs
        drf_request = self.initialize_request(request, *args, **kwargs)
        self.request, self.headers = drf_request, self.default_response_headers
        try:
            self.initial(drf_request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 (answered as the frame answers it)
            return self.finalize_response(drf_request, self.handle_exception(exc),
                                          *args, **kwargs)
        return None

    def _log_replay(self, request, actor, row) -> None:
        """A replayed answer shows its persons again: a read, in the access log, with the
        sensitive fields it shows."""
        if getattr(self, "audit_resource", None) and row.subjects:
            from omgeving.accounts.models import User

            shown = idempotency._json(row)
            audit.record(request=request, organization=request.organization, actor=actor,
                         resource=self.audit_resource, action="read",
                         subjects=[User(pk=pk) for pk in row.subjects],
                         representations={shown["id"]: shown} if isinstance(shown, dict)
                         and "id" in shown else {},
                         sensitive_fields=getattr(self, "audit_sensitive_fields", ()),
                         status=row.status)


def _actor(request):
    """The Application user of the request's token, or None (checked again by the frame)."""
    from rest_framework.request import Request

    from omgeving.tokens.authentication import JWTAuthentication

    try:
        result = JWTAuthentication().authenticate(Request(request))
    except (exceptions.AuthenticationFailed, exceptions.NotFound):
        return None
    return result[0] if result else None

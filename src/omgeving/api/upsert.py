"""Upsert by external_id and bulk upserts, opt-in mixins of the frame (api/viewsets.py)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response

from omgeving.errors import raises

from .serializers import BulkAnswerSerializer


class UpsertMixin:
    """Opt-in: `PUT /api/<resource>/external/<external_id>/` creates (201) or replaces (200)
    the object the organisation's own system knows by this key — through the same
    serializer, service and rules as POST and PUT. A body naming another external_id is 400
    `external_id_mismatch`."""

    @extend_schema(
        summary="Create or replace by external_id",
        parameters=[OpenApiParameter(
            "external_id", {"type": "string", "minLength": 1, "maxLength": 100},
            OpenApiParameter.PATH, description="The key of the object in the "
            "organisation's own system (at most 100 characters).")],
        description="Upsert by the key of the organisation's own system (ECD/EPD): 201 when "
        "no object has this `external_id` yet, else 200 after replacing it (PUT semantics: "
        "every required field). The same rules and errors as POST and PUT.")
    @action(detail=False, methods=["put"], url_path="external/<str:external_id>")
    def upsert(self, request, external_id=None):
        if len(external_id) > 100:
            raise exceptions.ValidationError({"external_id": [exceptions.ErrorDetail(
                _("At most 100 characters."), code="max_length")]})
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError([exceptions.ErrorDetail(
                _("Expected a JSON object."), code="invalid")])
        if request.data.get("external_id") not in (None, external_id):
            raise exceptions.ValidationError({"external_id": [exceptions.ErrorDetail(
                _("The body names another external_id than the address."),
                code="external_id_mismatch")]})
        body = {**request.data, "external_id": external_id}
        instance = self.get_queryset().filter(external_id=external_id).first()
        if instance is None:
            self.audit_actions = {**self.audit_actions, "upsert": "create"}
            serializer = self.get_serializer(data=body)
            serializer.is_valid(raise_exception=True)
            self.perform_create(serializer)
            return Response(serializer.data, status=201)
        self.check_object_permissions(request, instance)
        self.audited(instance)
        self.audit_actions = {**self.audit_actions, "upsert": "update"}
        serializer = self.get_serializer(instance, data=body)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return Response(serializer.data)


class BulkUpsertMixin:
    """Opt-in: `POST /api/<resource>/bulk/` with `{"items": [...]}` (at most 1000), each an
    upsert by its `external_id` through the same serializer, service and rules as one PUT.
    One result per item, in order: `created`, `updated`, `unchanged` (nothing written, no
    event) or `error` with its `errors`; a bad item does not stop the others. Each item runs
    in its own savepoint of the request's transaction, so a valid item commits with its
    feed event and its access-log row."""

    bulk_max = 1000

    @extend_schema(
        summary="Create or replace many by external_id", responses={200: BulkAnswerSerializer},
        description="`{\"items\": [...]}`, 1 to 1000 objects each with its `external_id`: "
        "each created or replaced as by PUT …/external/<external_id>/, in its own savepoint. "
        "One result per item, in order: `created`, `updated`, `unchanged` (nothing written) "
        "or `error` with `errors`; a bad item does not stop the others.")
    @action(detail=False, methods=["post"], url_path="bulk")
    @raises("too_many_bulk_requests")
    def bulk(self, request):
        data = request.data
        if not isinstance(data, dict) or set(data) != {"items"} or \
                not isinstance(data["items"], list):
            raise exceptions.ValidationError({"items": [exceptions.ErrorDetail(
                _("Send {\"items\": [...]}."), code="required")]})
        items = data["items"]
        if not 1 <= len(items) <= self.bulk_max:
            raise exceptions.ValidationError({"items": [exceptions.ErrorDetail(
                _("Send 1 to %(maximum)s items.") % {"maximum": self.bulk_max},
                code="invalid_length")]})
        keys = [i["external_id"] for i in items
                if isinstance(i, dict) and isinstance(i.get("external_id"), str)]
        self._bulk_existing = {o.external_id: o for o in
                               self.get_queryset().filter(external_id__in=keys[:self.bulk_max])}
        if not hasattr(self.get_serializer_class(), "create_many"):
            return Response({"results": [self._bulk_item(item) for item in items]})
        # Runs of new objects are validated one by one and created together by the
        # serializer's `create_many` (one service call, the same rules); every other item —
        # an update, a repeated key — in its place, so the order of the request holds.
        results, run = [], {}  # run: key → (index, item), in order
        for item in items:
            key = item.get("external_id") if isinstance(item, dict) else None
            if _valid_key(key) and key not in self._bulk_existing and key not in run:
                results.append(None)
                run[key] = (len(results) - 1, item)
                continue
            self._bulk_create_run(run, results)
            results.append(self._bulk_item(item))
        self._bulk_create_run(run, results)
        return Response({"results": results})

    def _bulk_create_run(self, run: dict, results: list) -> None:
        validated = []
        for key, (index, item) in run.items():
            serializer = self._bulk_serializer(None, item)
            try:
                serializer.is_valid(raise_exception=True)
            except exceptions.ValidationError as exc:
                results[index] = self._bulk_error(key, exc)
                continue
            validated.append((index, key, serializer.validated_data))
        made = serializer.create_many([item[2] for item in validated]) if validated else []
        for (index, key, _data), outcome in zip(validated, made, strict=True):
            if isinstance(outcome, Exception):
                results[index] = self._bulk_error(key, outcome)
                continue
            self._bulk_existing[key] = outcome
            self.audited(outcome, action="create")
            results[index] = {"external_id": key, "id": outcome.pk, "status": "created",
                              "errors": []}
        run.clear()

    def _bulk_error(self, key, exc) -> dict:
        """One item's refusal, as the API would answer it (server errors are re-raised)."""
        from .errors import exception_handler

        answer = exception_handler(exc, {"request": self.request, "view": self})
        if answer is None or answer.status_code >= 500:
            raise exc
        errors = answer.data.get("errors") or [
            {"field": None, "code": answer.data["code"], "detail": answer.data["detail"]}]
        return {"external_id": key, "id": None, "status": "error", "errors": errors}

    def _bulk_serializer(self, instance, item):
        """One serializer for the whole request, bound to each item in turn: building a
        model serializer's fields costs more than validating an item."""
        serializer = getattr(self, "_bulk_form", None)
        if serializer is None:
            serializer = self._bulk_form = self.get_serializer(instance, data=item)
            return serializer
        serializer.instance, serializer.initial_data = instance, item
        for cached in ("_validated_data", "_errors", "_data"):
            serializer.__dict__.pop(cached, None)
        return serializer

    def _bulk_item(self, item) -> dict:
        key = item.get("external_id") if isinstance(item, dict) else None
        result = {"external_id": key if isinstance(key, str) else None, "id": None}
        if not _valid_key(key):
            return {**result, "status": "error", "errors": [{
                "field": "external_id", "code": "required",
                "detail": "Each item is an object with its external_id (1-100 characters)."}]}
        try:
            with transaction.atomic():
                instance = self._bulk_existing.get(key)  # read for all items at once
                serializer = self._bulk_serializer(instance, item)
                serializer.is_valid(raise_exception=True)
                if instance is not None and _unchanged(instance, serializer.validated_data):
                    return {**result, "id": instance.pk, "status": "unchanged", "errors": []}
                if instance is None:
                    self.perform_create(serializer)
                else:
                    self.check_object_permissions(self.request, instance)
                    self.perform_update(serializer)
        except Exception as exc:  # noqa: BLE001  (mapped by _bulk_error; server errors re-raised)
            if key in self._bulk_existing:  # the refused write may have changed it in memory
                self._bulk_existing[key] = self.get_queryset().filter(external_id=key).first()
            return self._bulk_error(key, exc)
        created = instance is None
        self._bulk_existing[key] = serializer.instance  # a later item with this key updates
        self.audited(serializer.instance, action="create" if created else "update")
        return {**result, "id": serializer.instance.pk,
                "status": "created" if created else "updated", "errors": []}


def _valid_key(key) -> bool:
    return isinstance(key, str) and 0 < len(key) <= 100


def _unchanged(instance, data: dict) -> bool:
    """Whether writing `data` would change nothing of `instance`."""
    for name, value in data.items():
        current = getattr(instance, name, None)
        if isinstance(value, list) and isinstance(current, list):
            if sorted(map(str, value)) != sorted(map(str, current)):
                return False
        elif current != value:
            return False
    return True

"""The API frame: every resource's viewset is `OrganizationViewSet`, composed of one-job
mixins, each declaring its knobs (the NetBox way). A view sets knobs; it never filters by
organisation, checks a grant or writes the access log itself.

- OrganizationScopedMixin: querysets of the request's organisation only; the serializer
  context (organisation, actor). Knobs: `model`, `get_base_queryset()`.
- GrantsMixin: the grant and the feature a view needs (checked by ApplicationPermission),
  fields shown only with a grant. Knobs: `grant_family`, `required_grant`, `feature`,
  `field_grants`.
- ServiceDestroyMixin: deleting through the resource's service. Knob: `destroy_service`.
- ConditionalMixin: ETags (the object's version), 304 on If-None-Match, 412 on a stale
  If-Match. No knobs: models with a `version` field take part.
- IdempotencyMixin: `Idempotency-Key` on POST: replay, 409 while running, 422 when reused
  for another request (see api/idempotency.py). No knobs.
- AccessLogMixin: the access log of every request, in the write's transaction. Knobs:
  `audit_resource`, `audit_subjects()`, `audit_sensitive_fields`, `audit_actions`.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from omgeving.audit import services as audit
from omgeving.errors import Gone, PreconditionFailed, raises

from . import idempotency, slots
from .problems import problem_response
from .serializers import BulkAnswerSerializer, RowsSerializerMixin

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class OrganizationScopedMixin:
    """The one place where API querysets are restricted to the request's organisation."""

    model = None  # a tenant-owned model
    lookup_value_converter = "id"

    @property
    def organization(self):
        return self.request.organization

    def get_base_queryset(self, queryset):
        """Refine (select_related, order_by, …); never filter by organisation here."""
        return queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI generation: no request
            return self.model.objects.none()
        return self.get_base_queryset(self._manager().for_organization(self.organization))

    def _manager(self):
        """Live objects; tombstones too in a list asked with `?include_deleted=true`."""
        if getattr(self, "action", None) == "list" and hasattr(self.model, "all_objects") \
                and self.request.query_params.get("include_deleted") == "true":
            return self.model.all_objects
        return self.model.objects

    def get_object(self):
        """A deleted object's address answers 410 `deleted` (not 404: it existed, and an
        integrator should remove its copy)."""
        try:
            return super().get_object()
        except Http404:
            field = self.lookup_url_kwarg or self.lookup_field
            if hasattr(self.model, "all_objects") and str(self.kwargs.get(field, "")).isdigit() \
                    and self.model.all_objects.for_organization(self.organization).filter(
                        pk=self.kwargs[field], deleted_at__isnull=False).exists():
                raise Gone(_("This object was deleted."), code="deleted") from None
            raise

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "organization": self.organization,
                "actor": self.request.user}


class GrantsMixin:
    """`grant_family`: the view needs `<family>:read` for safe methods, `<family>:write`
    otherwise — unless `required_grant` names one grant for everything. `feature`: the
    organisation must have it switched on (else 404 `feature_disabled`). Both are checked by
    ApplicationPermission. `field_grants` maps sensitive fields to the grant that shows them:
    without it the field is left out of answers, and a write that sends it answers 403
    `missing_grant`."""

    grant_family: str | None = None
    required_grant: str | None = None
    feature: str | None = None
    field_grants: dict[str, str] = {}

    def hidden_fields(self) -> set[str]:
        user = self.request.user
        return {f for f, grant in self.field_grants.items()
                if user is None or not user.has_grant(grant)}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in SAFE_METHODS and hasattr(request.data, "keys"):
            for field in sorted(self.hidden_fields() & set(request.data.keys())):
                raise exceptions.PermissionDenied(
                    _("This application lacks the grant '%(grant)s' needed to write "
                      "'%(field)s'.") % {"grant": self.field_grants[field], "field": field},
                    code="missing_grant")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "hidden_fields": self.hidden_fields()}


class ServiceDestroyMixin:
    """DELETE goes to the resource's service (which ends instead of deleting, or refuses
    while in use); without one, a Tombstoned object becomes a tombstone (others are
    deleted)."""

    destroy_service = None

    def perform_destroy(self, instance):
        from omgeving.tenancy.services import delete

        (type(self).destroy_service or delete)(instance)


class ConditionalMixin:
    """Lost updates and needless transfers: one object's `ETag` is its version.

    - GET of one object answers `ETag: "<version>"`; with `If-None-Match` naming it, 304
      without a body (the read is still logged);
    - PUT, PATCH and DELETE with an `If-Match` that is not the current ETag answer 412
      `precondition_failed` and change nothing; without `If-Match` they proceed (the header
      is the caller's choice, as in HTTP);
    - a write's answer carries the new ETag."""

    conditional_actions = frozenset({"retrieve", "update", "partial_update", "destroy"})

    def get_object(self):
        obj = super().get_object()
        if getattr(self, "action", None) in self.conditional_actions and \
                getattr(obj, "version", None) is not None:
            self._etag = _etag(obj)
            wanted = self.request.headers.get("If-Match")
            if self.request.method not in SAFE_METHODS and wanted is not None and \
                    not _etag_in(self._etag, wanted):
                raise PreconditionFailed
        return obj

    # The route of one object when it is not this view's own (a thread's messages are read
    # at /api/messages/{id}/); None: the view's `<basename>-detail`, if there is one.
    detail_route: str | None = None

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code == 201:
            self._created(response)
        etag = getattr(self, "_etag", None)
        if etag and response.status_code == 200:
            if request.method in SAFE_METHODS:
                if _etag_in(etag, request.headers.get("If-None-Match", "")):
                    response = Response(status=304)
            else:
                instance = getattr(getattr(response.data, "serializer", None), "instance", None)
                etag = _etag(instance) if getattr(instance, "version", None) else None
            if etag:
                response["ETag"] = etag
        return super().finalize_response(request, response, *args, **kwargs)


    def _created(self, response) -> None:
        """`201 Created` names the new object's address (`Location`) and version (`ETag`)."""
        from django.urls import NoReverseMatch, reverse

        instance = getattr(getattr(response.data, "serializer", None), "instance", None)
        if getattr(instance, "pk", None) is None:
            return
        if getattr(instance, "version", None) is not None:
            response["ETag"] = _etag(instance)
        try:
            response["Location"] = reverse(self.detail_route or f"{self.basename}-detail",
                                           kwargs={"pk": instance.pk})
        except NoReverseMatch:
            pass  # no address of its own (a goal's progress is read in the goal's list)


def _etag(obj) -> str:
    return f'"{obj.version}"'


def _etag_in(etag: str, header: str) -> bool:
    """Whether an If-Match / If-None-Match header names this ETag (or is `*`)."""
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return "*" in candidates or etag in candidates


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


class AccessLogMixin:
    """The access log (NEN 7513) of every request of a view over person data.

    Views name their `audit_resource`; the frame collects the persons a request reached —
    the object it looked up, the page it listed, the object it created, any object an
    answer serialises — through `audit_subjects(obj)` (for users: the user itself), and
    writes one row per person. `audit_sensitive_fields` are noted when an answer shows them
    or a write sends them; `audit_actions` names what a custom action does (`create`,
    `update`, …) where its HTTP method would not say. An action that shows persons it did
    not get through these (computed answers) passes them to `audited()`."""

    audit_resource: str | None = None
    audit_sensitive_fields: tuple[str, ...] = ()
    audit_actions: dict[str, str] = {}

    def audit_subjects(self, obj) -> list:
        return [obj]

    def audited(self, *objects, action: str | None = None) -> None:
        """Note the persons `objects` are about; `action` when it differs from the request's
        (a bulk request creates some and updates others). A row of a list read as rows
        (ListModelMixin) is a person by its id."""
        if self.audit_resource:
            subjects = [audit.Subject(s["id"]) if isinstance(s, dict) else s
                        for o in objects for s in self.audit_subjects(o) if s]
            self._audit_subjects = [*getattr(self, "_audit_subjects", []), *subjects]
            if action:
                self._subject_actions = {**getattr(self, "_subject_actions", {}),
                                         **{s.pk: action for s in subjects}}

    def get_object(self):
        obj = super().get_object()
        self.audited(obj)
        return obj

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self.audited(*(page or []))
        return page

    def perform_create(self, serializer):
        super().perform_create(serializer)
        self.audited(serializer.instance)

    def dispatch(self, request, *args, **kwargs):
        """- a write runs in one transaction with its log entry: both commit, or neither (a
          failing log write rolls the change back and answers 500);
        - a read's entry is written before the answer leaves: if it cannot be written, the
          answer is a 500 without the data;
        - a refused or failed request that reached no person is counted, not logged row by
          row (see audit.services.record_refusal)."""
        if request.method in SAFE_METHODS:
            response = super().dispatch(request, *args, **kwargs)
            self._log_access(response, committed=True)
            return response
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code < 400:
                self._log_access(response, committed=True)
                return response
            transaction.set_rollback(True)  # nothing of a refused or failed write stays
        self._log_access(response, committed=False)
        return response

    def _log_access(self, response, *, committed: bool) -> None:
        request = self.request
        actor = getattr(request, "user", None)
        if not self.audit_resource or actor is None:
            return
        if response.status_code < 400:
            self.audited(*_serialized_objects(response))
        subjects = getattr(self, "_audit_subjects", [])
        if not committed:
            subjects = audit.still_existing(subjects)
        action = audit.action_for(getattr(self, "action", None), request.method,
                                  self.audit_actions)
        if response.status_code >= 400 and not subjects:
            audit.record_refusal(organization=self.organization, actor=actor,
                                 resource=self.audit_resource, action=action,
                                 status=response.status_code)
            return
        explicit = getattr(self, "_subject_actions", {})
        by_action: dict[str, list] = {action: []} if not subjects else {}
        for subject in subjects:
            by_action.setdefault(explicit.get(subject.pk, action), []).append(subject)
        for each_action, group in by_action.items():
            audit.record(
                request=request, organization=self.organization, actor=actor,
                resource=self.audit_resource, action=each_action, subjects=group,
                representations=_representations(response),
                sensitive_fields=self.audit_sensitive_fields, status=response.status_code,
            )


def _serialized_objects(response) -> list:
    """The model objects an answer was serialised from (DRF keeps the serializer on its
    ReturnDict/ReturnList), so that custom actions are logged without remembering to."""
    serializer = getattr(getattr(response, "data", None), "serializer", None)
    instance = getattr(serializer, "instance", None)
    if instance is None:
        return []
    if isinstance(instance, list | tuple) or hasattr(instance, "model"):
        return [o for o in instance if hasattr(o, "pk")]
    return [instance] if hasattr(instance, "pk") else []


def _representations(response) -> dict:
    """The objects in an answer by id: one object, or a page's results."""
    data = getattr(response, "data", None)
    if not isinstance(data, dict):
        return {}
    items = data.get("results") if isinstance(data.get("results"), list) else [data]
    return {item.get("id"): item for item in items if isinstance(item, dict)}


class ListModelMixin(mixins.ListModelMixin):
    """The frame's list. A list serializer with `RowsSerializerMixin` is read as rows: one
    `values()` query for the page, no model instances, each row represented by the
    serializer's own fields (see api/serializers.py) — the same answer at a fraction of the
    cost. Views whose access log needs more of an object than its id (`audit_subjects`
    overridden) keep model instances."""

    def list(self, request, *args, **kwargs):
        serializer_class = self.get_serializer_class()
        if not issubclass(serializer_class, RowsSerializerMixin) or \
                type(self).audit_subjects is not AccessLogMixin.audit_subjects:
            return super().list(request, *args, **kwargs)
        plan = serializer_class.row_plan(frozenset(self.hidden_fields()))
        rows = self.filter_queryset(self.get_queryset()).values(*plan.columns)
        page = self.paginate_queryset(rows)
        if page is None:
            return Response(plan.represent(rows))
        return self.get_paginated_response(plan.represent(page))


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


class OrganizationViewSet(BulkSlotMixin, IdempotencyMixin, AccessLogMixin, ConditionalMixin,
                          GrantsMixin, ServiceDestroyMixin, OrganizationScopedMixin,
                          viewsets.GenericViewSet):
    pass

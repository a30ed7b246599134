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
- BulkSlotMixin, IdempotencyMixin (api/retries.py): bulk requests bounded per application;
  `Idempotency-Key` on POST: replay, 409 while running, 422 when reused for another request
  (see api/idempotency.py). No knobs.
- UpsertMixin, BulkUpsertMixin (api/upsert.py): opt-in `PUT …/external/<external_id>/` and
  `POST …/bulk/`.
- AccessLogMixin: the access log of every request, in the write's transaction. Knobs:
  `audit_resource`, `audit_subjects()`, `audit_sensitive_fields`, `audit_actions`.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, mixins, viewsets
from rest_framework.response import Response

from omgeving.audit import services as audit
from omgeving.errors import Gone, PreconditionFailed

from .retries import BulkSlotMixin, IdempotencyMixin
from .serializers import RowsSerializerMixin
from .upsert import BulkUpsertMixin, UpsertMixin  # noqa: F401  (the frame's, for views)

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


class OrganizationViewSet(BulkSlotMixin, IdempotencyMixin, AccessLogMixin, ConditionalMixin,
                          GrantsMixin, ServiceDestroyMixin, OrganizationScopedMixin,
                          viewsets.GenericViewSet):
    pass

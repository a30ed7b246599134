"""The one place where API querysets are restricted to the request's organisation."""

from __future__ import annotations

from django.db import transaction
from rest_framework import exceptions, viewsets

from omgeving.audit import services as audit

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class OrganizationViewSetMixin:
    """Every API viewset inherits this. Views declare `model` (a tenant-owned model) and may
    refine `get_base_queryset`; they never filter by organisation themselves.

    `grant_family` names the grants the view needs (see ApplicationPermission);
    `field_grants` maps sensitive fields to the grant that shows them: without it the field
    is left out of answers, and a write that sends it answers 403 `missing_grant`."""

    model = None
    lookup_value_converter = "id"
    grant_family: str | None = None
    field_grants: dict[str, str] = {}
    # Access log: views over person data name their resource; every request then writes one
    # row per person it reached (see omgeving.audit). `audit_sensitive_fields` are noted
    # when an answer shows them or a write sends them.
    audit_resource: str | None = None
    audit_sensitive_fields: tuple[str, ...] = ()
    # Deleting: the resource's service (ends instead of deleting, refuses while in use, …).
    destroy_service = None
    # What a custom action does, for the access log (standard actions and other methods:
    # see omgeving.audit.services.action_for).
    audit_actions: dict[str, str] = {}

    def audit_subjects(self, obj) -> list:
        """The persons an object is about (for users: the user itself)."""
        return [obj]

    def _audited(self, *objects):
        if self.audit_resource:
            self._audit_subjects = [*getattr(self, "_audit_subjects", []),
                                    *(s for o in objects for s in self.audit_subjects(o) if s)]

    def get_object(self):
        obj = super().get_object()
        self._audited(obj)
        return obj

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._audited(*(page or []))
        return page

    def perform_create(self, serializer):
        super().perform_create(serializer)
        self._audited(serializer.instance)

    def perform_destroy(self, instance):
        (type(self).destroy_service or type(instance).delete)(instance)

    def dispatch(self, request, *args, **kwargs):
        """The access log is part of every answer (NEN 7513):

        - a write runs in one transaction with its log entry: both commit, or neither (a
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
        audit.record(
            request=request, organization=self.organization, actor=actor,
            resource=self.audit_resource, action=action, subjects=subjects,
            representations=_representations(response),
            sensitive_fields=self.audit_sensitive_fields, status=response.status_code,
        )

    def hidden_fields(self) -> set[str]:
        user = self.request.user
        return {f for f, grant in self.field_grants.items()
                if user is None or not user.has_grant(grant)}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD", "OPTIONS") and hasattr(request.data, "keys"):
            for field in sorted(self.hidden_fields() & set(request.data.keys())):
                raise exceptions.PermissionDenied(
                    f"This application lacks the grant '{self.field_grants[field]}' needed to "
                    f"write '{field}'.", code="missing_grant")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "organization": self.organization,
                "actor": self.request.user, "hidden_fields": self.hidden_fields()}

    @property
    def organization(self):
        return self.request.organization

    def get_base_queryset(self, queryset):
        return queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI generation: no request
            return self.model.objects.none()
        queryset = self.model.objects.for_organization(self.organization)
        return self.get_base_queryset(queryset)


def _representations(response) -> dict:
    """The objects in an answer by id: one object, or a page's results."""
    data = getattr(response, "data", None)
    if not isinstance(data, dict):
        return {}
    items = data.get("results") if isinstance(data.get("results"), list) else [data]
    return {item.get("id"): item for item in items if isinstance(item, dict)}


class OrganizationViewSet(OrganizationViewSetMixin, viewsets.GenericViewSet):
    pass

"""The one place where API querysets are restricted to the request's organisation."""

from __future__ import annotations

from rest_framework import exceptions, viewsets

from omgeving.audit import services as audit


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

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.audit_resource and request.user is not None:
            audit.record(
                request=request, organization=self.organization, actor=request.user,
                resource=self.audit_resource, view_action=getattr(self, "action", None) or "",
                subjects=getattr(self, "_audit_subjects", []),
                representations=_representations(response),
                sensitive_fields=self.audit_sensitive_fields, status=response.status_code,
            )
        return response

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
                "hidden_fields": self.hidden_fields()}

    @property
    def organization(self):
        return self.request._request.organization

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

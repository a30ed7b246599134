"""The one place where API querysets are restricted to the request's organisation."""

from __future__ import annotations

from rest_framework import exceptions, viewsets


class OrganizationViewSetMixin:
    """Every API viewset inherits this. Views declare `model` (a tenant-owned model) and may
    refine `get_base_queryset`; they never filter by organisation themselves.

    `grant_family` names the grants the view needs (see ApplicationPermission);
    `field_grants` maps sensitive fields to the grant that shows them: without it the field
    is left out of answers, and a write that sends it answers 403 `missing_grant`."""

    model = None
    lookup_value_converter = "int"
    grant_family: str | None = None
    field_grants: dict[str, str] = {}

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


class OrganizationViewSet(OrganizationViewSetMixin, viewsets.GenericViewSet):
    pass

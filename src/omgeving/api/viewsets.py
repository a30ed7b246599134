"""The one place where API querysets are restricted to the request's organisation."""

from __future__ import annotations

from rest_framework import viewsets


class OrganizationViewSetMixin:
    """Every API viewset inherits this. Views declare `model` (a tenant-owned model) and may
    refine `get_base_queryset`; they never filter by organisation themselves."""

    model = None
    lookup_value_converter = "int"

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

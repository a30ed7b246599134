"""One admin site, two audiences, decided by the host:

- `<org>.<base domain>/admin/`: that organisation's administrators manage that organisation;
- `<base domain>/admin/`: platform superusers manage organisations.
"""

from __future__ import annotations

from django.contrib import admin


def is_platform_request(request) -> bool:
    return getattr(request, "organization", None) is None


class OmgevingAdminSite(admin.AdminSite):
    site_header = "Omgeving — functional management"
    site_title = "Omgeving"
    index_title = "Manage"
    site_url = None  # there is no public site beside the API

    def has_permission(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        organization = getattr(request, "organization", None)
        if organization is None:
            return user.is_superuser and user.organization_id is None
        return user.is_administrator and user.organization_id == organization.pk

    def each_context(self, request):
        context = super().each_context(request)
        organization = getattr(request, "organization", None)
        context["site_header"] = (
            f"{organization.name} — functional management" if organization
            else "Omgeving — platform management"
        )
        return context

from __future__ import annotations

from django.contrib import admin

from omgeving.accounts.admin_site import is_platform_request
from omgeving.tenancy.admin_base import ReadOnlyAdminMixin

from .models import AccessLogEntry, AccessRefusal


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: nobody adds, changes or deletes access-log entries."""

    list_display = ["timestamp", "actor_username", "action", "resource", "subject", "status",
                    "ip"]
    list_filter = ["action", "resource", "status"]
    search_fields = ["actor_username", "subject__username", "path"]
    date_hierarchy = "timestamp"
    list_select_related = ["subject"]

    def get_queryset(self, request):
        if is_platform_request(request):
            return AccessLogEntry.objects.none()
        return AccessLogEntry.objects.for_organization(request.organization)

    def has_module_permission(self, request):
        return not is_platform_request(request) and super().has_module_permission(request)


@admin.register(AccessRefusal)
class AccessRefusalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Refused requests that reached no person, counted per minute."""

    list_display = ["minute", "actor_username", "resource", "action", "status", "count",
                    "last_at"]
    list_filter = ["resource", "status"]
    search_fields = ["actor_username"]
    date_hierarchy = "minute"

    def get_queryset(self, request):
        if is_platform_request(request):
            return AccessRefusal.objects.none()
        return AccessRefusal.objects.for_organization(request.organization)

    def has_module_permission(self, request):
        return not is_platform_request(request) and super().has_module_permission(request)

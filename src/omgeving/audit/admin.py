from __future__ import annotations

from django.contrib import admin

from omgeving.accounts.admin_site import is_platform_request

from .models import AccessLogEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

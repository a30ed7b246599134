from __future__ import annotations

from django.contrib import admin

from omgeving.tenancy.admin_base import ReadOnlyAdminMixin, TenantModelAdmin

from .models import AccessLogEntry, AccessRefusal


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdminMixin, TenantModelAdmin):
    """Read-only: nobody adds, changes or deletes access-log entries; each organisation's
    administrators see their own organisation's (TenantModelAdmin), the platform none."""

    list_display = ["timestamp", "actor_username", "action", "resource", "subject", "status",
                    "ip"]
    list_filter = ["action", "resource", "status"]
    search_fields = ["actor_username", "subject__username", "path"]
    date_hierarchy = "timestamp"
    list_select_related = ["subject"]


@admin.register(AccessRefusal)
class AccessRefusalAdmin(ReadOnlyAdminMixin, TenantModelAdmin):
    """Refused requests that reached no person, counted per minute."""

    list_display = ["minute", "actor_username", "resource", "action", "status", "count",
                    "last_at"]
    list_filter = ["resource", "status"]
    search_fields = ["actor_username"]
    date_hierarchy = "minute"

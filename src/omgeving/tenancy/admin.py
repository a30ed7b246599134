from django.contrib import admin

from omgeving.accounts.admin_site import is_platform_request

from .models import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    admin_audience = "platform"
    list_display = ["slug", "name", "is_active", "created"]
    search_fields = ["slug", "name"]
    readonly_fields = ["created", "modified"]

    def has_module_permission(self, request):
        return is_platform_request(request) and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_change_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False

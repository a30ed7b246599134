"""django-axes' lockout records span every organisation (usernames are stored as
`<org>/<username>`), so only platform superusers on the platform host see and clear them."""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin

from omgeving.accounts.admin_site import is_platform_request


def _platform_only(model_admin_class):
    class PlatformOnly(model_admin_class):
        def has_module_permission(self, request):
            return is_platform_request(request) and request.user.is_superuser

        def has_view_permission(self, request, obj=None):
            return self.has_module_permission(request)

        def has_change_permission(self, request, obj=None):
            return False

        def has_add_permission(self, request):
            return False

        def has_delete_permission(self, request, obj=None):
            return self.has_module_permission(request)  # deleting an attempt clears a lockout

    PlatformOnly.__name__ = f"PlatformOnly{model_admin_class.__name__}"
    return PlatformOnly


for model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        model_admin = type(admin.site.get_model_admin(model))
        admin.site.unregister(model)
        admin.site.register(model, _platform_only(model_admin))

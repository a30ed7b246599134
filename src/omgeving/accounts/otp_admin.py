"""TOTP devices in the admin, scoped like everything else: an organisation's administrators
see and manage the devices of their own organisation's administrators only, and a device's
secret (its key, its QR code) is shown to its own user only, and a device is added or changed by
its own user only: an administrator can remove a colleague's device, never copy it nor give a
colleague a device whose key they chose (and so sign in as them)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from .admin_site import is_platform_request
from .models import User


class ScopedTOTPDeviceAdmin(TOTPDeviceAdmin):
    admin_audience = "scoped"
    raw_id_fields: list = []

    def _owners(self, request):
        if is_platform_request(request):
            return User.objects.for_organization(None).filter(is_superuser=True)
        return User.objects.for_organization(request.organization).filter(
            is_administrator=True)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user__in=self._owners(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":  # one's own devices only
            kwargs["queryset"] = self._owners(request).filter(pk=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @staticmethod
    def _own_device(request, obj) -> bool:
        return obj is None or obj.user_id == request.user.pk

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._own_device(request, obj):
            return fieldsets
        secret = {"key", "qrcode_link"}
        return [(name, {**options, "fields": [f for f in options["fields"] if f not in secret]})
                for name, options in fieldsets]

    def get_list_display(self, request):
        return [f for f in super().get_list_display(request) if f != "qrcode_link"]

    def config_view(self, request, pk):
        self._check_own(request, pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request, pk):
        self._check_own(request, pk)
        return super().qrcode_view(request, pk)

    def _check_own(self, request, pk):
        device = self.get_queryset(request).filter(pk=pk).first()
        if device is None or not self._own_device(request, device):
            raise PermissionDenied

    def _owns(self, request, obj) -> bool:
        return obj is None or self._owners(request).filter(pk=obj.user_id).exists()

    # The device's own views (config, QR code) ask these with the object: check ownership.
    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._owns(request, obj)

    def has_change_permission(self, request, obj=None):
        return (super().has_change_permission(request, obj) and self._owns(request, obj)
                and self._own_device(request, obj))

    def save_model(self, request, obj, form, change):
        if obj.user_id != request.user.pk:  # the form offers no one else; a forged POST
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._owns(request, obj)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, ScopedTOTPDeviceAdmin)

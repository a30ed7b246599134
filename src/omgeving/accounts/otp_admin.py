"""TOTP devices in the admin, scoped like everything else: an organisation's administrators
see and manage the devices of their own organisation's administrators only, and a device is
added by its own user only, the way the command line does it: the server makes the key, shows
it once as a QR code, and the device counts only after a first code from the app confirms it
(then it replaces any earlier one). Nobody types a key, nobody sees a key again, and an
administrator can remove a colleague's device, never copy it nor give a colleague a device
whose key they chose (and so sign in as them)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from .admin_site import is_platform_request
from .models import User


class FirstCodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code from the app"), max_length=8,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                         "inputmode": "numeric"}))


PENDING = "pending"  # the name of a device made by the add page and not yet confirmed


class ScopedTOTPDeviceAdmin(TOTPDeviceAdmin):
    admin_audience = "scoped"

    def add_view(self, request, form_url="", extra_context=None):
        """Enrol the signed-in user's own authenticator: a server-made key, its QR code,
        confirmed by a first code (the CLI's `otp add`, in the browser)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        user = request.user
        pending = TOTPDevice.objects.filter(user=user, confirmed=False, name=PENDING).first() \
            or TOTPDevice.objects.create(user=user, confirmed=False, name=PENDING)
        form = FirstCodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if pending.verify_token(form.cleaned_data["code"].strip()):
                with transaction.atomic():
                    TOTPDevice.objects.filter(user=user).exclude(pk=pending.pk).delete()
                    pending.name, pending.confirmed = "authenticator", True
                    pending.save(update_fields=["name", "confirmed"])
                otp_login(request, pending)  # the session's device was the old one
                messages.success(request, _("Your authenticator app is set up."))
                return HttpResponseRedirect(reverse("admin:otp_totp_totpdevice_changelist"))
            form.add_error("code", _("This code is not right (or too old): type the code the "
                                     "app shows now."))
        import base64

        context = {**self.admin_site.each_context(request), "form": form,
                   "qrcode_url": reverse("admin:otp_totp_totpdevice_qrcode", args=[pending.pk]),
                   "key": base64.b32encode(pending.bin_key).decode(),
                   "replaces": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
                   "title": _("Set up your authenticator app")}
        return TemplateResponse(request, "admin/otp_enrol.html", context)

    def changelist_view(self, request, extra_context=None):
        # django-otp's model is "TOTP device" in English only; the page says what it is.
        return super().changelist_view(request, {**(extra_context or {}),
                                                 "title": _("Authenticator apps")})

    def get_fieldsets(self, request, obj=None):
        # Only the name of one's own device changes here; no key is shown or typed again.
        return [(None, {"fields": ["user", "name", "confirmed", "created_at",
                                   "last_used_at"]})]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "confirmed", "created_at", "last_used_at"]
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
        if device.confirmed:
            raise PermissionDenied  # a key is shown once, while it is set up

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

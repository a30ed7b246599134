"""One admin site, two audiences, decided by the host:

- `<org>.<base domain>/admin/`: that organisation's administrators manage that organisation;
- `<base domain>/admin/`: platform superusers manage organisations.

Everyone needs a second factor (TOTP, django-otp): the login form asks for the code, and a
session that was not verified with a device has no access. The first device of the first
administrator comes from the command line: `omgeving otp add`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice


def is_platform_request(request) -> bool:
    return getattr(request, "organization", None) is None


class LoginForm(OTPAdminAuthenticationForm):
    """Username, password and the authenticator's code on one page. With a single device (the
    usual case) it is taken without asking; with several, the code is tried against each.

    A sign-in succeeds for the lockout (its counters cleared, its address remembered as the
    user's, its count of successes raised) only after the second factor: a right password
    with a wrong code is a failure like a wrong password."""

    def clean(self):
        from django.core.exceptions import ValidationError

        from omgeving.api.client import client_ip

        from . import lockout

        ip = client_ip(self.request) or None if self.request is not None else None
        try:
            data = super().clean()
        except ValidationError:
            if self.user_cache is not None:  # the password was right, the code was not
                lockout.failed(self.user_cache.organization, self.user_cache.username, ip)
            raise
        lockout.succeeded(self.user_cache, ip)
        return data

    def _chosen_device(self, user):
        """No device is chosen on the page: with one it is that one, with several the code
        is tried against each (django-otp's match_token)."""
        devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True)[:2])
        return devices[0] if len(devices) == 1 else None


class Gated:
    """A model admin whose every permission also needs `_allowed(request)`."""

    def _allowed(self, request) -> bool:
        raise NotImplementedError

    def has_module_permission(self, request):
        return self._allowed(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._allowed(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request) and super().has_delete_permission(request, obj)


class PlatformOnly(Gated):
    """Platform internals (the task queue and whatever a library registers): seen by a platform
    superuser at the bare base domain only, never by an organisation's administrator."""

    admin_audience = "platform"

    def _allowed(self, request) -> bool:
        return is_platform_request(request) and request.user.is_superuser

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if self._allowed(request) else queryset.none()


# Who a model admin is for. An admin that does not say (a library's, say django-tasks' task
# results) is made platform-only when it is registered: the admin fails closed.
AUDIENCES = {
    "organisation",  # tenant-owned rows, scoped to the host's organisation (TenantAccess)
    "scoped",        # scopes itself by host (users, lockouts, TOTP devices; its own tests)
    "platform",      # platform superusers only (PlatformOnly)
}


class OmgevingAdminSite(OTPAdminSite):
    login_form = LoginForm
    login_template = "admin/omgeving_login.html"

    site_header = gettext_lazy("Omgeving — functional management")
    site_title = "Omgeving"
    index_title = gettext_lazy("Manage")
    site_url = None  # there is no public site beside the API

    def __init__(self, name="admin"):
        super().__init__(name)

    def register(self, model_or_iterable, admin_class=None, **options):
        from django.contrib.admin import ModelAdmin

        admin_class = admin_class or ModelAdmin
        if getattr(admin_class, "admin_audience", None) not in AUDIENCES:
            admin_class = type(admin_class.__name__, (PlatformOnly, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_authenticated and user.is_verified()):
            return False
        organization = getattr(request, "organization", None)
        if organization is None:
            return user.is_superuser and user.organization_id is None
        return user.is_administrator and user.organization_id == organization.pk

    def get_app_list(self, request, app_label=None):
        """django-otp names its model "TOTP device" in English only: here it is what an
        administrator has, an authenticator app."""
        apps = super().get_app_list(request, app_label)
        for app in apps:
            for model in app["models"]:
                if model["object_name"] == "TOTPDevice":
                    model["name"] = _("Authenticator apps")
        return apps

    def each_context(self, request):
        context = super().each_context(request)
        organization = getattr(request, "organization", None)
        context["site_header"] = (
            _("%(organization)s — functional management") % {"organization": organization.name}
            if organization else _("Omgeving — platform management")
        )
        return context

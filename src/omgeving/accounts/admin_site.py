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
    usual case) it is taken without asking; with several, the form asks which."""

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True)[:2])
            if len(devices) == 1:
                device = devices[0]
        return device


class OmgevingAdminSite(OTPAdminSite):
    login_form = LoginForm

    site_header = gettext_lazy("Omgeving — functional management")
    site_title = "Omgeving"
    index_title = gettext_lazy("Manage")
    site_url = None  # there is no public site beside the API

    def __init__(self, name="admin"):
        super().__init__(name)

    def has_permission(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_authenticated and user.is_verified()):
            return False
        organization = getattr(request, "organization", None)
        if organization is None:
            return user.is_superuser and user.organization_id is None
        return user.is_administrator and user.organization_id == organization.pk

    def each_context(self, request):
        context = super().each_context(request)
        organization = getattr(request, "organization", None)
        context["site_header"] = (
            _("%(organization)s — functional management") % {"organization": organization.name}
            if organization else _("Omgeving — platform management")
        )
        return context

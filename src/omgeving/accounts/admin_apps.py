from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig


class OmgevingAdminConfig(AdminConfig):
    """django.contrib.admin with our host-aware admin site."""

    default_site = "omgeving.accounts.admin_site.OmgevingAdminSite"


class TOTPConfig(DefaultConfig):
    """django-otp's TOTP devices, under a name an administrator understands (was
    "OTP_TOTP")."""

    verbose_name = _("Second factor (authenticator apps)")

from django.contrib.admin.apps import AdminConfig


class OmgevingAdminConfig(AdminConfig):
    """django.contrib.admin with our host-aware admin site."""

    default_site = "omgeving.accounts.admin_site.OmgevingAdminSite"

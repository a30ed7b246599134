from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "omgeving.tenancy"
    label = "tenancy"
    verbose_name = "Organisations"

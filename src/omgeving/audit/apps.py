from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "omgeving.audit"
    label = "audit"
    verbose_name = "Access log"

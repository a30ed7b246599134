from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "omgeving.changes"
    label = "changes"
    verbose_name = "Change feed"

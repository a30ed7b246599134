from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "omgeving.api"
    label = "api"
    verbose_name = _("API")

    def ready(self):
        from omgeving.tenancy import housekeeping

        from . import idempotency, schema  # noqa: F401  (schema: the OpenAPI extension)

        housekeeping.register("idempotency keys", idempotency.prune)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "omgeving.care"
    label = "care"
    verbose_name = _("Content around a client")

    def ready(self):
        from omgeving.changes.services import register
        from omgeving.tenancy import housekeeping

        from . import files
        from . import models as m

        housekeeping.register("orphaned document files", files.remove_orphans)

        for model, resource in ((m.MessageThread, "message-threads"), (m.Message, "messages"),
                                (m.Appointment, "appointments"), (m.Goal, "goals"),
                                (m.GoalProgress, "goal-progress"), (m.Report, "reports"),
                                (m.Document, "documents")):
            register(model, resource, grant_family=model.CATEGORY)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "omgeving.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from omgeving.changes.services import on_commit_of_events

        from .services import kick_organization

        # A committed change wakes the organisation's subscriptions (the feed is the outbox;
        # see delivery.py for what happens when this wake-up is lost).
        on_commit_of_events(kick_organization)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "omgeving.network"
    label = "network"
    verbose_name = _("Care network")

    def ready(self):
        from omgeving.changes.services import register

        from . import models as m

        for model, resource, family in (
            (m.RelationType, "relation-types", "relations"),
            (m.Relation, "relations", "relations"),
            (m.Group, "groups", "relations"),
            (m.GroupMember, "group-members", "relations"),
            (m.GroupClient, "group-clients", "relations"),
            (m.Family, "families", "families"),
            (m.CareStatus, "care-statuses", "care_status"),
            (m.Invitation, "invitations", "invitations"),
        ):
            register(model, resource, grant_family=family)
        # A client's care status is read at /api/users/{client}/care-status/.
        register(m.ClientCareStatus, "care-status", grant_family="care_status",
                 object_id=lambda entry: entry.client_id)

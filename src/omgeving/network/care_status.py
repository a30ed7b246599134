"""Care status (zorgstatus): an organisation-defined status per client, kept as a history.
Switched on per organisation.

Rules: the feature is on (feature_disabled, 404); a care status belongs to a client
(not_a_client); the status is this organisation's (other_organization) and in use
(status_inactive).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from omgeving.accounts.models import Role, User
from omgeving.errors import raises
from omgeving.errors import rule_error as _error
from omgeving.tenancy.features import require
from omgeving.tenancy.services import delete_unless_in_use, save_unique

from .models import CareStatus, ClientCareStatus


def current_care_status(client: User) -> ClientCareStatus | None:
    return (ClientCareStatus.objects.for_organization(client.organization)
            .filter(client=client).select_related("status").first())


@raises("name_taken")
def save_care_status(status: CareStatus, *, actor: User | None = None) -> CareStatus:
    require(status.organization, "care_status")
    return save_unique(status, "name")


@raises("in_use")
def delete_care_status(status: CareStatus) -> None:
    delete_unless_in_use(status, "Clients have (had) this care status.")


@transaction.atomic
@raises("not_a_client", "other_organization", "status_inactive")
def set_care_status(client: User, status: CareStatus, set_by: User | None) -> ClientCareStatus:
    require(client.organization, "care_status")
    if client.authorisation != Role.CLIENT or client.is_application or client.is_administrator:
        raise _error("client", _("Only a client has a care status."), "not_a_client")
    if status.organization_id != client.organization_id:
        raise _error("status", _("This status belongs to another organisation."),
                     "other_organization")
    if not status.is_active:
        raise _error("status", _("This status is no longer in use."), "status_inactive")
    return ClientCareStatus.objects.create(organization=client.organization, client=client,
                                           status=status, set_by=set_by)

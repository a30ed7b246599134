"""Rule 2 — the people who take part in a thread or an appointment are in this client's
network on that date: the client, or a person with a relation path to the client that runs
then (400 `not_in_network`). A thread or an appointment never holds two clients (400
`two_clients`): every network is a star around one client."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from omgeving.accounts.models import Role, User
from omgeving.errors import ConflictError, raises
from omgeving.errors import rule_error as _error

from .authors import authorisations


@raises("two_clients", "not_in_network", "other_organization")
def check_participants(obj, people: list[User], day: date) -> None:
    client = obj.client
    for person in people:
        if person.organization_id != obj.organization_id:
            raise _error("participants", _("This person belongs to another organisation."),
                         "other_organization")
        if person.pk != client.pk and person.authorisation == Role.CLIENT:
            raise _error("participants", _("Two clients never take part in one thread or "
                                           "appointment: %(person)s is another client.")
                         % {"person": person.pk}, "two_clients")
        if not authorisations(person, client, day):
            raise _error("participants", _("%(person)s is not in this client's network on "
                                           "%(day)s.") % {"person": person.pk, "day": day},
                         "not_in_network")


def check_person(user: User) -> None:
    """Run again after a change of a person's role type or default authorisation (from
    accounts.services.check_network, beside the network's own check): someone who takes part
    in an open thread or a coming appointment of a client can become neither another client
    nor an Application user or administrator — the thread would hold two clients, or someone
    outside any network. 409 `network_blocks_change`, each one listed; end the participation
    first (a PATCH of the participants)."""
    from .models import Participant

    if user.pk is None or not (user.authorisation == Role.CLIENT or user.is_application
                               or user.is_administrator):
        return
    rows = Participant.objects.for_organization(user.organization).filter(user_id=user.pk) \
        .filter(Q(thread__isnull=False, thread__closed_at__isnull=True,
                  thread__deleted_at__isnull=True)
                | Q(appointment__isnull=False, appointment__ends_at__gte=timezone.now(),
                    appointment__deleted_at__isnull=True)) \
        .exclude(thread__client_id=user.pk).exclude(appointment__client_id=user.pk)
    problems = {}
    for row in rows:
        kind, pk = ("message-threads", row.thread_id) if row.thread_id else \
            ("appointments", row.appointment_id)
        problems[f"{kind}.{pk}"] = ValidationError(
            _("%(kind)s %(pk)s: this person takes part in it; a client or an application "
              "cannot.") % {"kind": kind, "pk": pk}, code="network_blocks_change")
    if problems:
        raise ConflictError(problems)

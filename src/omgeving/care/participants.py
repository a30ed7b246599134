"""Rule 2 — the people who take part in a thread or an appointment are in this client's
network on that date: the client, or a person with a relation path to the client that runs
then (400 `not_in_network`). A thread or an appointment never holds two clients (400
`two_clients`): every network is a star around one client."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from omgeving.accounts.models import Role, User
from omgeving.errors import raises
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

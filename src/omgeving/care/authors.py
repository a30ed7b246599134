"""Rule 1 — who a write is on behalf of (`author`), and what a person may see of a client's
content: the one computation behind the author check and the timeline.

A person's content categories towards a client are those the access table
(network/access.py, docs/access.md) gives each of their relation paths to that client that
run on the day asked (direct or through a group); a client has every category of their own.
An author must hold the written object's category on the write date; a report of kind
`report` also needs a professional path (COUNSELOR, COUNSELOR_PLUS), a `diary` entry is
written by the client or a GUARDIAN. Otherwise 403 `author_not_permitted`.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from omgeving.accounts.models import Role, User
from omgeving.errors import NotAllowedError, raises
from omgeving.errors import rule_error as _error
from omgeving.network.access import ABOUT_THE_CLIENT, CONTENT, paths_of_person
from omgeving.network.models import today

PROFESSIONALS = (Role.COUNSELOR, Role.COUNSELOR_PLUS)


def authorisations(person: User, client: User, day: date | None = None) -> set[str]:
    """The person's authorisations towards the client by the paths that run on `day`
    (`CLIENT` when the person is the client)."""
    if person.pk == client.pk:
        return {Role.CLIENT} if person.is_active else set()
    return {p.authorisation for p in paths_of_person(person, day or today())
            if p.client_id == client.pk}


def categories(person: User, client: User, day: date | None = None) -> set[str]:
    """The content categories `person` may see of `client` on `day`."""
    found = authorisations(person, client, day)
    if Role.CLIENT in found:
        return set(CONTENT)
    return {c for a in found for c in ABOUT_THE_CLIENT.get(a, ()) if c in CONTENT}


@raises("not_a_client", "other_organization")
def check_client(obj) -> None:
    """Every content object belongs to one active CLIENT of its organisation."""
    client = obj.client
    if client.organization_id != obj.organization_id:
        raise _error("client", _("This person belongs to another organisation."),
                     "other_organization")
    if client.authorisation != Role.CLIENT or not client.is_active:
        raise _error("client", _("Content belongs to an active client of this organisation; "
                                 "this person is not one."), "not_a_client")


@raises("author_not_permitted", "other_organization")
def check_author(obj, *, day: date | None = None) -> None:
    """The author may write this object's category for its client on `day` (the write
    date)."""
    author, client = obj.author, obj.client
    if author.organization_id != obj.organization_id:
        raise _error("author", _("This person belongs to another organisation."),
                     "other_organization")
    found = authorisations(author, client, day) if author.is_active and \
        not (author.is_application or author.is_administrator) else set()
    category = obj.CATEGORY
    allowed = Role.CLIENT in found or any(category in ABOUT_THE_CLIENT.get(a, ())
                                          for a in found)
    kind = getattr(obj, "kind", None)
    if kind == "report":
        allowed = bool(found & set(PROFESSIONALS))
        why = _("Reports are written by the client's counselors (COUNSELOR or "
                "COUNSELOR_PLUS) on the write date.")
    elif kind == "diary":
        allowed = bool(found & {Role.CLIENT, Role.GUARDIAN})
        why = _("Diary entries are written by the client or a GUARDIAN of the client.")
    else:
        why = _("The author is the client, or a person whose relation to the client runs "
                "today and whose authorisation includes %(category)s.") % {
            "category": category}
    if not allowed:
        raise NotAllowedError(why, code="author_not_permitted")

"""The rules of the care network. Each rule lives here once, with its own error code; the
admin, the API and bulk imports all call these functions.

Rule 1  every person in a network has a default authorisation        code no_authorisation
Rule 2  a CLIENT never relates directly to another CLIENT             code client_to_client
Rule 3  everyone else relates directly only to a CLIENT              code not_a_client
        Application users and administrators are never in a network  code not_in_network
        nobody relates to themselves                                  code self_relation
        everyone involved belongs to the same organisation            code other_organization
        an end date is not before the start date                     code end_before_start
        no two relations of the same pair in overlapping periods      code duplicate_relation (409)
        group members are professionals (COUNSELOR, COUNSELOR_PLUS)    code not_a_professional
        a group's clients are clients                                 code not_a_client
        no overlapping double membership of a group             code duplicate_membership (409)
        nobody new relates to a deactivated person                    code inactive_person
        a relation's (or group role's) authorisation stays within
          the person's default one     code exceeds_default_authorisation
        a relation that shows the BSN needs the writer's `bsn` grant code missing_grant (403)
        dates lie between 1900-01-01 and 2199-12-31                   code date_out_of_range

After every change of a person (role type, default authorisation, activation) the same rules
are run again over every relation and membership of theirs that has not ended
(`check_person`): a change that would break one is refused, 409 `network_blocks_change`,
each blocking relation or membership listed; the integrator ends those first.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from omgeving.accounts.grants import Grant
from omgeving.accounts.models import Role, User
from omgeving.errors import ConflictError, NotAllowedError, raises
from omgeving.errors import rule_error as _error
from omgeving.tenancy.services import (
    check_unique,
    delete_unless_in_use,
    save_unique,
    tombstone,
)

from .models import Group, GroupClient, GroupMember, Membership, Relation, RelationType, today

PROFESSIONALS = (Role.COUNSELOR, Role.COUNSELOR_PLUS)
# Authorisations from least to most: a person's relations stay at or below their default.
ORDER = (Role.EXTERNAL, Role.GUARDIAN, Role.COUNSELOR, Role.COUNSELOR_PLUS)
EARLIEST, LATEST = datetime.date(1900, 1, 1), datetime.date(2199, 12, 31)


@raises("not_in_network", "no_authorisation")
def check_in_network(user: User, field: str) -> None:
    if user.is_application or user.is_administrator or user.is_superuser:
        raise _error(field, _("Application users and administrators are never part of a care "
                     "network."), "not_in_network")
    if not user.authorisation:
        raise _error(field, _("Every person in a network has a default authorisation; this user "
                     "has none."), "no_authorisation")


@raises("other_organization")
def check_same_organization(obj, *users_and_fields) -> None:
    for user, field in users_and_fields:
        if user.organization_id != obj.organization_id:
            raise _error(field, _("This person belongs to another organisation."),
                         "other_organization")


@raises("date_out_of_range", "end_before_start")
def check_period(obj) -> None:
    for field in ("start_date", "end_date"):
        value = getattr(obj, field)
        if value is not None and not EARLIEST <= value <= LATEST:
            raise _error(field, _("Dates lie between %(earliest)s and %(latest)s.")
                         % {"earliest": EARLIEST, "latest": LATEST},
                         "date_out_of_range")
    if obj.end_date is not None and obj.start_date and obj.end_date < obj.start_date:
        raise _error("end_date", _("The end date is before the start date."), "end_before_start")


@raises("exceeds_default_authorisation")
def check_within_default(person: User, authorisation: str, field: str) -> None:
    """A relation never gives a person more than their default authorisation allows."""
    default = person.authorisation
    if default in ORDER and authorisation in ORDER and \
            ORDER.index(authorisation) > ORDER.index(default):
        raise _error(field, _("This person's default authorisation is %(default)s; a "
                              "relation cannot give them %(authorisation)s.")
                     % {"default": default, "authorisation": authorisation},
                     "exceeds_default_authorisation")


@raises("inactive_person")
def check_active(*users_and_fields) -> None:
    for user, field in users_and_fields:
        if not user.is_active:
            raise _error(field, _("This person is deactivated: nobody new relates to them."),
                         "inactive_person")


def grants_bsn(authorisation: str) -> bool:
    from .access import ABOUT_THE_CLIENT

    return "bsn" in ABOUT_THE_CLIENT.get(authorisation, ())


@raises("missing_grant")
def check_bsn_grant(actor: User | None, authorisation: str) -> None:
    """Giving someone sight of a client's BSN takes the writer's own `bsn` grant."""
    if actor is not None and actor.is_application and grants_bsn(authorisation) \
            and not actor.has_grant(Grant.BSN):
        raise NotAllowedError(_("A %(authorisation)s relation shows the client's BSN; this "
                                "application lacks the grant 'bsn' needed to give it.")
                              % {"authorisation": authorisation}, code="missing_grant")


def _widens(obj, fields: tuple[str, ...]) -> bool:
    """A new object, or one whose people, authorisation or period grow."""
    if obj.pk is None:
        return True
    before = type(obj).objects.for_organization(obj.organization).filter(pk=obj.pk).first()
    if before is None:
        return True
    if any(getattr(before, f) != getattr(obj, f) for f in fields):
        return True
    if obj.start_date < before.start_date:
        return True
    return before.end_date is not None and (obj.end_date is None or obj.end_date > before.end_date)


def _overlapping(queryset, obj):
    """Rows of `queryset` (other than obj) whose period overlaps obj's."""
    queryset = queryset.exclude(pk=obj.pk)
    if obj.end_date is not None:
        queryset = queryset.filter(start_date__lte=obj.end_date)
    return queryset.filter(Q(end_date__isnull=True) | Q(end_date__gte=obj.start_date))


@raises("self_relation", "client_to_client", "not_a_client", "duplicate_relation",
        also=(check_same_organization, check_in_network, check_within_default,
              check_period, check_active, check_bsn_grant))
def check_relation(relation: Relation, *, actor: User | None = None,
                   widening: bool = True) -> None:
    client, person = relation.client, relation.person
    check_same_organization(relation, (client, "client"), (person, "person"))
    if client.pk == person.pk:
        raise _error("person", _("A person does not relate to themselves."), "self_relation")
    check_in_network(client, "client")
    check_in_network(person, "person")
    if client.authorisation == Role.CLIENT and person.authorisation == Role.CLIENT:
        raise _error("person", _("A client never relates directly to another client (rule 2)."),
                     "client_to_client")
    if client.authorisation != Role.CLIENT:
        raise _error("client", _("Direct relations are always with a client (rule 3): this user "
                     "is not a client."), "not_a_client")
    check_within_default(person, relation.authorisation, "authorisation")
    check_period(relation)
    if widening:
        check_active((client, "client"), (person, "person"))
        check_bsn_grant(actor, relation.authorisation)
    pair = Relation.objects.for_organization(relation.organization).filter(
        client=client, person=person)
    if _overlapping(pair, relation).exists():
        raise _error(None, _("This person already has a relation with this client in an "
                     "overlapping period."), "duplicate_relation")


@transaction.atomic
@raises("external_id_taken", also=(check_relation,))
def save_relation(relation: Relation, *, actor: User | None = None) -> Relation:
    if relation.external_id == "":
        relation.external_id = None
    check_relation(relation, actor=actor,
                   widening=_widens(relation, ("client_id", "person_id", "authorisation")))
    relation.full_clean(validate_unique=False, validate_constraints=False)
    if relation.external_id and Relation.objects.for_organization(relation.organization).filter(
            external_id=relation.external_id).exclude(pk=relation.pk).exists():
        raise _error("external_id", _("A relation with this external_id exists."),
                     "external_id_taken")
    relation.save()
    return relation


@raises("name_taken", "external_id_taken")
def save_relation_type(relation_type: RelationType, *, actor: User | None = None):
    return save_unique(relation_type, "name", "external_id")


@raises("in_use")
def delete_relation_type(relation_type: RelationType) -> None:
    delete_unless_in_use(relation_type, "Relations use this relation type.")


@raises("name_taken", "external_id_taken")
def save_group(group: Group, *, actor: User | None = None) -> Group:
    return save_unique(group, "name", "external_id")


@raises("in_use")
def delete_group(group: Group) -> None:
    """A group with memberships, ended ones included, stays for the history."""
    delete_unless_in_use(group, "The group has (had) members or clients; end their "
                         "memberships.")


@transaction.atomic
def end_or_remove(obj):
    """How the API and the admin delete a relation or a membership: ending keeps history. A
    period that has started ends yesterday; one that has not started yet is deleted (a
    tombstone)."""
    yesterday = today() - datetime.timedelta(days=1)
    if obj.start_date > yesterday:
        tombstone(obj)
    elif obj.end_date is None or obj.end_date > yesterday:
        obj.end_date = yesterday
        obj.save(update_fields=["end_date", "modified"])


@raises("not_a_professional", also=(check_within_default, check_bsn_grant))
def _check_member_role(member: GroupMember, actor, widening: bool) -> None:
    """A group member is a professional, in a role within their default authorisation."""
    if member.user.authorisation not in PROFESSIONALS:
        raise _error("user", _("Group members are professionals (COUNSELOR or COUNSELOR_PLUS)."),
                     "not_a_professional")
    check_within_default(member.user, member.role, "role")
    if widening:
        check_bsn_grant(actor, member.role)


@raises("not_a_client")
def _check_client_role(entry: GroupClient, actor, widening: bool) -> None:
    if entry.client.authorisation != Role.CLIENT:
        raise _error("client", _("Only clients are a group's clients."), "not_a_client")


ROLE_CHECKS = {GroupMember: _check_member_role, GroupClient: _check_client_role}


@raises("other_organization", "duplicate_membership",
        also=(check_same_organization, check_in_network, check_period, check_active,
              _check_member_role, _check_client_role))
def check_membership(entry: Membership, *, actor: User | None = None,
                     widening: bool = True) -> None:
    """The rules of a group membership, for members and clients alike."""
    field, person = entry.person_field, entry.person
    check_same_organization(entry, (person, field))
    if entry.group.organization_id != entry.organization_id:
        raise _error("group", _("This group belongs to another organisation."),
                     "other_organization")
    check_in_network(person, field)
    ROLE_CHECKS[type(entry)](entry, actor, widening)
    check_period(entry)
    if widening:
        check_active((person, field))
    same = type(entry).objects.for_organization(entry.organization).filter(
        group_id=entry.group.pk, **{field: person})
    if entry.group.pk is not None and _overlapping(same, entry).exists():
        raise _error(None, _("This person is already in this group in an overlapping period."),
                     "duplicate_membership")


@transaction.atomic
@raises("external_id_taken", also=(check_membership,))
def save_membership(entry: Membership, *, actor: User | None = None) -> Membership:
    widening = _widens(entry, ("group_id", f"{entry.person_field}_id",
                               *(("role",) if isinstance(entry, GroupMember) else ())))
    check_membership(entry, actor=actor, widening=widening)
    entry.external_id = entry.external_id or None
    entry.full_clean(validate_unique=False, validate_constraints=False)
    check_unique(entry, "external_id")
    entry.save()
    return entry


def _not_ended(queryset):
    return queryset.filter(Q(end_date__isnull=True) | Q(end_date__gte=today()))


def check_person(user: User) -> None:
    """Run the rules again over every relation and membership of `user` that has not ended,
    with the user as they are now (unsaved changes included). Deactivation breaks no rule:
    deactivated people simply neither give nor get access (see access.py)."""
    org = user.organization
    problems = []
    relations = _not_ended(Relation.objects.for_organization(org)
                           .filter(Q(client_id=user.pk) | Q(person_id=user.pk))
                           .select_related("client", "person"))
    checks = []
    for relation in relations:
        if relation.client_id == user.pk:
            relation.client = user
        else:
            relation.person = user
        checks.append(("relations", relation, check_relation))
    for kind, model in (("group-members", GroupMember), ("group-clients", GroupClient)):
        for entry in _not_ended(model.objects.for_organization(org)
                                .filter(**{f"{model.person_field}_id": user.pk})
                                .select_related("group")):
            entry.person = user
            checks.append((kind, entry, check_membership))
    for kind, obj, check in checks:
        try:
            check(obj, widening=False)
        except ValidationError as exc:
            problems.append((f"{kind}.{obj.pk}", ValidationError(
                "%s %s: %s" % (kind, obj.pk, " ".join(exc.messages)),  # noqa: UP031
                code="network_blocks_change")))
    if problems:
        raise ConflictError(dict(problems))

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
        no overlapping double membership of a group             code duplicate_membership (409)
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from omgeving.accounts.models import Role, User
from omgeving.accounts.services import ConflictError

from .models import GroupClient, GroupMember, Relation

PROFESSIONALS = (Role.COUNSELOR, Role.COUNSELOR_PLUS)


def _error(field: str | None, message: str, code: str, conflict: bool = False):
    cls = ConflictError if conflict else ValidationError
    error = ValidationError(message, code=code)
    return cls({field: error}) if field else cls(message, code=code)


def check_in_network(user: User, field: str) -> None:
    if user.is_application or user.is_administrator or user.is_superuser:
        raise _error(field, "Application users and administrators are never part of a care "
                     "network.", "not_in_network")
    if not user.authorisation:
        raise _error(field, "Every person in a network has a default authorisation; this user "
                     "has none.", "no_authorisation")


def check_same_organization(obj, *users_and_fields) -> None:
    for user, field in users_and_fields:
        if user.organization_id != obj.organization_id:
            raise _error(field, "This person belongs to another organisation.",
                         "other_organization")


def check_period(obj) -> None:
    if obj.end_date is not None and obj.start_date and obj.end_date < obj.start_date:
        raise _error("end_date", "The end date is before the start date.", "end_before_start")


def _overlapping(queryset, obj):
    """Rows of `queryset` (other than obj) whose period overlaps obj's."""
    queryset = queryset.exclude(pk=obj.pk)
    if obj.end_date is not None:
        queryset = queryset.filter(start_date__lte=obj.end_date)
    return queryset.filter(Q(end_date__isnull=True) | Q(end_date__gte=obj.start_date))


def check_relation(relation: Relation) -> None:
    client, person = relation.client, relation.person
    check_same_organization(relation, (client, "client"), (person, "person"))
    if client.pk == person.pk:
        raise _error("person", "A person does not relate to themselves.", "self_relation")
    check_in_network(client, "client")
    check_in_network(person, "person")
    if client.authorisation == Role.CLIENT and person.authorisation == Role.CLIENT:
        raise _error("person", "A client never relates directly to another client (rule 2).",
                     "client_to_client")
    if client.authorisation != Role.CLIENT:
        raise _error("client", "Direct relations are always with a client (rule 3): this user "
                     "is not a client.", "not_a_client")
    check_period(relation)
    pair = Relation.objects.for_organization(relation.organization).filter(
        client=client, person=person)
    if _overlapping(pair, relation).exists():
        raise _error(None, "This person already has a relation with this client in an "
                     "overlapping period.", "duplicate_relation", conflict=True)


@transaction.atomic
def save_relation(relation: Relation) -> Relation:
    if relation.external_id == "":
        relation.external_id = None
    check_relation(relation)
    relation.full_clean(validate_unique=False, validate_constraints=False)
    if relation.external_id and Relation.objects.for_organization(relation.organization).filter(
            external_id=relation.external_id).exclude(pk=relation.pk).exists():
        raise _error("external_id", "A relation with this external_id exists.",
                     "external_id_taken", conflict=True)
    relation.save()
    return relation


def end_relation(relation: Relation, end_date) -> Relation:
    relation.end_date = end_date
    return save_relation(relation)


def check_group_member(member: GroupMember) -> None:
    check_same_organization(member, (member.user, "user"))
    if member.group.organization_id != member.organization_id:
        raise _error("group", "This group belongs to another organisation.",
                     "other_organization")
    check_in_network(member.user, "user")
    if member.user.authorisation not in PROFESSIONALS:
        raise _error("user", "Group members are professionals (COUNSELOR or COUNSELOR_PLUS).",
                     "not_a_professional")
    check_period(member)
    same = GroupMember.objects.for_organization(member.organization).filter(
        group_id=member.group.pk, user=member.user)
    if member.group.pk is not None and _overlapping(same, member).exists():
        raise _error(None, "This person is already a member of this group in an overlapping "
                     "period.", "duplicate_membership", conflict=True)


def check_group_client(entry: GroupClient) -> None:
    check_same_organization(entry, (entry.client, "client"))
    if entry.group.organization_id != entry.organization_id:
        raise _error("group", "This group belongs to another organisation.",
                     "other_organization")
    check_in_network(entry.client, "client")
    if entry.client.authorisation != Role.CLIENT:
        raise _error("client", "Only clients are a group's clients.", "not_a_client")
    check_period(entry)
    same = GroupClient.objects.for_organization(entry.organization).filter(
        group_id=entry.group.pk, client=entry.client)
    if entry.group.pk is not None and _overlapping(same, entry).exists():
        raise _error(None, "This client is already in this group in an overlapping period.",
                     "duplicate_membership", conflict=True)


@transaction.atomic
def save_group_member(member: GroupMember) -> GroupMember:
    check_group_member(member)
    member.full_clean(validate_unique=False, validate_constraints=False)
    member.save()
    return member


@transaction.atomic
def save_group_client(entry: GroupClient) -> GroupClient:
    check_group_client(entry)
    entry.full_clean(validate_unique=False, validate_constraints=False)
    entry.save()
    return entry

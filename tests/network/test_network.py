"""The care network: rules 1-3 and the others, groups, end dates, the network view."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from omgeving.accounts.models import Role
from omgeving.errors import ConflictError
from omgeving.network import services
from omgeving.network.models import Group, GroupClient, GroupMember, Relation, today

from ..helpers import make_app, make_person

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def relation(org, client, person, authorisation="GUARDIAN", **fields):
    return services.save_relation(Relation(organization=org, client=client, person=person,
                                           authorisation=authorisation, **fields))


def code_of(exc) -> str:
    error = exc.value
    if hasattr(error, "error_dict"):
        return next(iter(error.error_dict.values()))[0].code
    return error.code


@pytest.fixture
def people(org_a):
    return {
        "joost": make_person(org_a, "joost", Role.CLIENT),
        "lisa": make_person(org_a, "lisa", Role.CLIENT),
        "ans": make_person(org_a, "ans", Role.GUARDIAN),
        "pieter": make_person(org_a, "pieter", Role.COUNSELOR),
        "tim": make_person(org_a, "tim", Role.EXTERNAL),
    }


def test_a_relation(org_a, people):
    rel = relation(org_a, people["joost"], people["ans"])
    assert rel.active_on() and rel.start_date == today()


@pytest.mark.parametrize("client,person,code", [
    ("joost", "lisa", "client_to_client"),  # rule 2
    ("ans", "pieter", "not_a_client"),  # rule 3
    ("pieter", "joost", "not_a_client"),  # rule 3, the client on the wrong side
    ("joost", "joost", "self_relation"),
    ("joost", "app", "not_in_network"),
    ("joost", "admin", "not_in_network"),
    ("joost", "nobody", "no_authorisation"),  # rule 1
])
def test_rules(org_a, people, client, person, code):
    people["app"] = make_app(org_a)
    people["admin"] = make_person(org_a, "admin", Role.ADMINISTRATOR)
    nobody = make_person(org_a, "nobody")
    nobody.authorisation = None  # a user that somehow lacks a default authorisation
    people["nobody"] = nobody
    with pytest.raises(ValidationError) as exc:
        relation(org_a, people[client], people[person])
    assert code_of(exc) == code
    assert not Relation.objects.exists()


def test_other_organisation(org_a, org_b, people):
    stranger = make_person(org_b, "stranger", Role.GUARDIAN)
    with pytest.raises(ValidationError) as exc:
        relation(org_a, people["joost"], stranger)
    assert code_of(exc) == "other_organization"


def test_end_before_start(org_a, people):
    with pytest.raises(ValidationError) as exc:
        relation(org_a, people["joost"], people["ans"], end_date=today() - DAY)
    assert code_of(exc) == "end_before_start"


def test_no_overlapping_duplicates_but_consecutive_periods_are_fine(org_a, people):
    relation(org_a, people["joost"], people["ans"], start_date=today() - 10 * DAY,
             end_date=today() - 5 * DAY)
    with pytest.raises(ConflictError) as exc:
        relation(org_a, people["joost"], people["ans"], start_date=today() - 6 * DAY)
    assert code_of(exc) == "duplicate_relation"
    relation(org_a, people["joost"], people["ans"], start_date=today() - 4 * DAY)
    assert Relation.objects.count() == 2


def test_an_ended_relation_grants_nothing_by_date_alone(org_a, people):
    rel = relation(org_a, people["joost"], people["tim"], "EXTERNAL",
                   start_date=today() - 40 * DAY, end_date=today() - DAY)
    assert not rel.active_on()
    assert rel.active_on(today() - DAY)  # the end date itself still counts
    assert Relation.objects.for_organization(org_a).active_on().count() == 0
    assert list(Relation.objects.for_organization(org_a).active_on(today() - DAY)) == [rel]


def test_group_members_are_professionals(org_a, people):
    group = Group.objects.create(organization=org_a, name="Team Noord")
    with pytest.raises(ValidationError) as exc:
        services.save_membership(GroupMember(organization=org_a, group=group,
                                               user=people["ans"]))
    assert code_of(exc) == "not_a_professional"
    with pytest.raises(ValidationError) as exc:
        services.save_membership(GroupClient(organization=org_a, group=group,
                                               client=people["pieter"]))
    assert code_of(exc) == "not_a_client"
    services.save_membership(GroupMember(organization=org_a, group=group,
                                           user=people["pieter"]))
    with pytest.raises(ConflictError) as exc:
        services.save_membership(GroupMember(organization=org_a, group=group,
                                               user=people["pieter"]))
    assert code_of(exc) == "duplicate_membership"

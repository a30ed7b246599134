"""The care network: rules 1-3 and the others, groups, end dates, the network view."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from omgeving.accounts.models import Role
from omgeving.errors import ConflictError
from omgeving.network import services
from omgeving.network.models import Group, GroupClient, GroupMember, Relation, today

from ..helpers import make_app, make_person, refusal

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


NOT_IN_NETWORK = "Application users and administrators are never part of a care network."
NOT_A_CLIENT = "Direct relations are always with a client (rule 3): this user is not a client."


@pytest.mark.parametrize("client,person,field,code,message", [
    ("joost", "lisa", "person", "client_to_client",
     "A client never relates directly to another client (rule 2)."),
    ("ans", "pieter", "client", "not_a_client", NOT_A_CLIENT),
    ("pieter", "joost", "client", "not_a_client", NOT_A_CLIENT),  # the client on the wrong side
    ("joost", "joost", "person", "self_relation", "A person does not relate to themselves."),
    ("joost", "app", "person", "not_in_network", NOT_IN_NETWORK),
    ("joost", "admin", "person", "not_in_network", NOT_IN_NETWORK),
    ("app", "ans", "client", "not_in_network", NOT_IN_NETWORK),
    ("joost", "nobody", "person", "no_authorisation",
     "Every person in a network has a default authorisation; this user has none."),
])
def test_rules(org_a, people, client, person, field, code, message):
    """Each rule's refusal: its code, the field it is shown on, its words (the API's detail)."""
    people["app"] = make_app(org_a)
    people["admin"] = make_person(org_a, "admin", Role.ADMINISTRATOR)
    nobody = make_person(org_a, "nobody")
    nobody.authorisation = None  # a user that somehow lacks a default authorisation
    people["nobody"] = nobody
    with pytest.raises(ValidationError) as exc:
        relation(org_a, people[client], people[person])
    assert not isinstance(exc.value, ConflictError)  # a 400, not a 409
    assert refusal(exc) == (field, code, message)
    assert not Relation.objects.exists()


@pytest.mark.parametrize("side", ["client", "person"])
def test_other_organisation(org_a, org_b, people, side):
    stranger = make_person(org_b, "stranger", Role.CLIENT if side == "client" else Role.GUARDIAN)
    pair = {"client": people["joost"], "person": people["ans"], side: stranger}
    with pytest.raises(ValidationError) as exc:
        relation(org_a, pair["client"], pair["person"])
    assert refusal(exc) == (side, "other_organization",
                            "This person belongs to another organisation.")


def test_end_before_start(org_a, people):
    with pytest.raises(ValidationError) as exc:
        relation(org_a, people["joost"], people["ans"], end_date=today() - DAY)
    assert refusal(exc) == ("end_date", "end_before_start",
                            "The end date is before the start date.")


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


def test_a_taken_external_id_is_a_conflict_and_an_empty_one_is_none(org_a, people):
    relation(org_a, people["joost"], people["ans"], external_id="ecd-1")
    with pytest.raises(ConflictError) as exc:
        relation(org_a, people["joost"], people["tim"], "EXTERNAL", external_id="ecd-1")
    assert refusal(exc) == ("external_id", "external_id_taken",
                            "A relation with this external_id exists.")
    first = relation(org_a, people["joost"], people["pieter"], "COUNSELOR", external_id="")
    second = relation(org_a, people["lisa"], people["ans"], external_id="")
    assert first.external_id is None and second.external_id is None


def test_a_taken_group_name_is_a_conflict(org_a):
    services.save_group(Group(organization=org_a, name="Team Noord"))
    with pytest.raises(ConflictError) as exc:
        services.save_group(Group(organization=org_a, name="Team Noord"))
    assert refusal(exc)[:2] == ("name", "name_taken")


@pytest.mark.parametrize(("started", "kept"), [(0, False), (1, True), (2, True)])
def test_deleting_ends_what_has_started_and_removes_what_has_not(org_a, people, started,
                                                                  kept):
    """A relation that started yesterday or before ends yesterday (its day counted); one
    starting today has granted nothing yet and is removed (a tombstone)."""
    rel = relation(org_a, people["joost"], people["ans"], start_date=today() - started * DAY)
    services.end_or_remove(rel)
    if kept:
        assert Relation.objects.get(pk=rel.pk).end_date == today() - DAY
    else:
        assert not Relation.objects.filter(pk=rel.pk).exists()
        assert Relation.all_objects.get(pk=rel.pk).deleted_at is not None


def test_in_use_refusals_say_why(org_a, people):
    from omgeving.network.models import RelationType

    kind = services.save_relation_type(RelationType(organization=org_a, name="Oom"))
    relation(org_a, people["joost"], people["ans"], relation_type=kind)
    with pytest.raises(ConflictError) as exc:
        services.delete_relation_type(kind)
    assert refusal(exc) == (None, "in_use", "Relations use this relation type.")
    group = services.save_group(Group(organization=org_a, name="Team"))
    services.save_membership(GroupMember(organization=org_a, group=group, user=people["pieter"]))
    with pytest.raises(ConflictError) as exc:
        services.delete_group(group)
    assert refusal(exc) == (None, "in_use", "The group has (had) members or clients; end "
                                            "their memberships.")


def test_a_deactivated_members_membership_can_still_be_ended(org_a, people):
    """Ending is not widening: the rules that keep new access from inactive people (and from
    writers without the grants) do not stop an end date."""
    from omgeving.accounts import services as accounts

    group = services.save_group(Group(organization=org_a, name="Team"))
    member = services.save_membership(GroupMember(
        organization=org_a, group=group, user=people["pieter"], start_date=today() - 9 * DAY))
    client = services.save_membership(GroupClient(
        organization=org_a, group=group, client=people["joost"], start_date=today() - 9 * DAY))
    accounts.deactivate_user(people["pieter"])
    accounts.deactivate_user(people["joost"])
    for entry in (GroupMember.objects.get(pk=member.pk), GroupClient.objects.get(pk=client.pk)):
        entry.end_date = today()
        services.save_membership(entry)
        assert type(entry).objects.get(pk=entry.pk).end_date == today()


def test_today_is_the_dutch_day_in_every_door(org_a, people, app_a):
    """At 00:30 in Amsterdam (23:30 UTC) it is the next day in the Netherlands. A relation the
    admin or the CLI starts today counts in the API, which answers in UTC, and one the API
    starts today starts that same Dutch day."""
    import time_machine

    from omgeving.tokens.services import issue_token

    from ..helpers import client_for

    moment = datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        api_a = client_for(org_a, issue_token(app_a).token)
        assert today() == datetime.date(2026, 12, 8)
        relation(org_a, people["joost"], people["ans"])  # outside a request
        body = api_a.get(f"/api/users/{people['ans'].pk}/access/{people['joost'].pk}/").json()
        assert "identity" in body["granted"]
        answer = api_a.post("/api/relations/", {
            "client": people["joost"].pk, "person": people["tim"].pk,
            "authorisation": "EXTERNAL"}, format="json")
        assert answer.status_code == 201, answer.content
        assert answer.json()["start_date"] == "2026-12-08"


def test_membership_refusals_name_their_field_and_say_why(org_a, org_b, people):
    """Group memberships: another organisation's group or person, a duplicate in the same
    group (not in another), a non-client as a group's client — each on its field, in its
    words."""
    team = services.save_group(Group(organization=org_a, name="Team Noord"))
    south = services.save_group(Group(organization=org_a, name="Team Zuid"))
    elsewhere = services.save_group(Group(organization=org_b, name="Team B"))
    with pytest.raises(ValidationError) as exc:
        services.save_membership(GroupMember(organization=org_a, group=elsewhere,
                                             user=people["pieter"]))
    assert refusal(exc) == ("group", "other_organization",
                            "This group belongs to another organisation.")
    stranger = make_person(org_b, "stranger", Role.COUNSELOR)
    with pytest.raises(ValidationError) as exc:
        services.save_membership(GroupMember(organization=org_a, group=team, user=stranger))
    assert refusal(exc) == ("user", "other_organization",
                            "This person belongs to another organisation.")
    with pytest.raises(ValidationError) as exc:
        services.save_membership(GroupClient(organization=org_a, group=team,
                                             client=people["ans"]))
    assert refusal(exc) == ("client", "not_a_client", "Only clients are a group's clients.")
    services.save_membership(GroupMember(organization=org_a, group=team, user=people["pieter"]))
    services.save_membership(GroupMember(organization=org_a, group=south,
                                         user=people["pieter"]))  # another group: fine
    with pytest.raises(ConflictError) as exc:
        services.save_membership(GroupMember(organization=org_a, group=team,
                                             user=people["pieter"]))
    assert refusal(exc) == (None, "duplicate_membership",
                            "This person is already in this group in an overlapping period.")


@pytest.mark.parametrize("who", ["client", "person"])
def test_nobody_new_relates_to_a_deactivated_person(org_a, people, who):
    from omgeving.accounts import services as accounts

    pair = {"client": people["joost"], "person": people["ans"]}
    accounts.deactivate_user(pair[who])
    with pytest.raises(ValidationError) as exc:
        relation(org_a, pair["client"], pair["person"])
    assert refusal(exc) == (who, "inactive_person",
                            "This person is deactivated: nobody new relates to them.")

"""Group memberships and the organisation's named things: each refusal on its field in its
words, a member's role change counted as widening, a re-check after a role change that does
not trip over someone else's deactivation, and names and external ids taken.

Written for what mutation testing of network/services.py found unguarded (docs/testing.md)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from omgeving.accounts import services as accounts
from omgeving.accounts.models import Role, User
from omgeving.errors import ConflictError, NotAllowedError
from omgeving.network import services
from omgeving.network.models import Group, GroupMember, Relation, RelationType

from ..helpers import make_app, make_person, refusal
from .test_network import relation

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(org_a):
    return services.save_group(Group(organization=org_a, name="Team Noord"))


def member(org, group, user, **fields):
    return services.save_membership(GroupMember(organization=org, group=group, user=user,
                                                **fields))


def test_a_group_member_who_is_no_professional_is_refused_on_user(org_a, team):
    with pytest.raises(ValidationError) as exc:
        member(org_a, team, make_person(org_a, "ans", Role.GUARDIAN))
    assert refusal(exc) == ("user", "not_a_professional",
                            "Group members are professionals (COUNSELOR or COUNSELOR_PLUS).")


def test_an_application_as_group_member_is_refused_on_user(org_a, team):
    with pytest.raises(ValidationError) as exc:
        member(org_a, team, make_app(org_a, "ecd"))
    assert refusal(exc)[:2] == ("user", "not_in_network")


def test_a_member_role_above_the_default_is_refused_on_role(org_a, team):
    with pytest.raises(ValidationError) as exc:
        member(org_a, team, make_person(org_a, "pieter", Role.COUNSELOR),
               role="COUNSELOR_PLUS")
    assert refusal(exc) == ("role", "exceeds_default_authorisation",
                            "This person's default authorisation is COUNSELOR; a relation "
                            "cannot give them COUNSELOR_PLUS.")


def test_raising_a_members_role_is_widening(org_a, team):
    """COUNSELOR_PLUS shows the client's BSN: an application without the grant cannot raise
    a membership to it, even with the same group, person and dates."""
    boss = make_person(org_a, "boss", Role.COUNSELOR_PLUS)
    entry = member(org_a, team, boss)
    app = make_app(org_a, "no-bsn", grants=())
    entry = GroupMember.objects.get(pk=entry.pk)
    entry.role = "COUNSELOR_PLUS"
    with pytest.raises(NotAllowedError) as exc:
        services.save_membership(entry, actor=app)
    assert exc.value.code == "missing_grant"
    assert GroupMember.objects.get(pk=entry.pk).role == "COUNSELOR"


@pytest.mark.parametrize("deactivated", ["joost", "ans"])
def test_a_role_change_is_not_refused_for_a_deactivation(org_a, deactivated):
    """Re-checking a person's relations after a role change checks the rules, not who is
    still active: Ans, a GUARDIAN of Joost, becomes a COUNSELOR while Joost (or Ans herself)
    is deactivated."""
    people = {"joost": make_person(org_a, "joost"),
              "ans": make_person(org_a, "ans", Role.GUARDIAN)}
    relation(org_a, people["joost"], people["ans"])
    accounts.deactivate_user(people[deactivated])
    ans = User.objects.get(pk=people["ans"].pk)
    ans.authorisation = Role.COUNSELOR
    accounts.save_user(ans)
    assert User.objects.get(pk=ans.pk).authorisation == Role.COUNSELOR


def test_a_relation_keeps_its_own_external_id_when_saved_again(org_a):
    rel = relation(org_a, make_person(org_a, "joost"), make_person(org_a, "ans", Role.GUARDIAN),
                   external_id="ecd-1")
    rel = Relation.objects.get(pk=rel.pk)
    rel.end_date = rel.start_date
    services.save_relation(rel)
    assert Relation.objects.get(pk=rel.pk).external_id == "ecd-1"


@pytest.mark.parametrize("model, save", [(Group, services.save_group),
                                         (RelationType, services.save_relation_type)])
def test_names_and_external_ids_are_taken_once_per_organisation(org_a, org_b, model, save):
    save(model(organization=org_a, name="Noord", external_id="ecd-1"))
    for fields, field in (({"name": "Noord", "external_id": "ecd-2"}, "name"),
                          ({"name": "Zuid", "external_id": "ecd-1"}, "external_id")):
        with pytest.raises(ConflictError) as exc:
            save(model(organization=org_a, **fields))
        assert refusal(exc)[:2] == (field, f"{field}_taken")
    save(model(organization=org_b, name="Noord", external_id="ecd-1"))  # another organisation
    assert model.objects.count() == 2


def test_an_unknown_authorisation_from_an_application_is_a_field_error(org_a):
    """Below the API's own validation: the service answers an authorisation it does not know
    with a refusal on the field, not a crash in the BSN-grant check."""
    with pytest.raises(ValidationError) as exc:
        services.save_relation(Relation(
            organization=org_a, client=make_person(org_a, "joost"),
            person=make_person(org_a, "ans", Role.GUARDIAN), authorisation="OWNER"),
            actor=make_app(org_a, "ecd"))
    assert refusal(exc)[:2] == ("authorisation", "invalid_choice")
    assert not Relation.objects.exists()

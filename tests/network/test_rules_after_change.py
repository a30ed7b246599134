"""Every rule of the care network holds after every change of a person, not only on the
write that creates a relation: role changes, deactivation, reactivation, the admin."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from omgeving.accounts import services as accounts
from omgeving.accounts.grants import Grant
from omgeving.accounts.models import Role, User
from omgeving.network import services
from omgeving.network.models import Group, GroupClient, GroupMember, Relation, today
from omgeving.tenancy.services import create_organization
from omgeving.tokens.services import issue_token

from ..helpers import admin_of, client_for, log_in, make_app, make_person, totp_code

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def relate(org, client, person, authorisation="GUARDIAN", **fields):
    return services.save_relation(Relation(organization=org, client=client, person=person,
                                           authorisation=authorisation, **fields))


@pytest.fixture
def net(org_a):
    people = {
        "joost": make_person(org_a, "joost", Role.CLIENT),
        "lisa": make_person(org_a, "lisa", Role.CLIENT),
        "ans": make_person(org_a, "ans", Role.GUARDIAN),
        "pieter": make_person(org_a, "pieter", Role.COUNSELOR),
    }
    month_ago = today() - 30 * DAY
    people["ans_joost"] = relate(org_a, people["joost"], people["ans"], start_date=month_ago)
    people["pieter_joost"] = relate(org_a, people["joost"], people["pieter"], "COUNSELOR",
                                    start_date=month_ago)
    return people


def _roles(api, user, roles):
    return api.patch(f"/api/users/{user.pk}/", {"roles": roles}, format="json")


def test_a_guardian_turned_client_is_refused_while_related_to_a_client(api_a, net):
    response = _roles(api_a, net["ans"], ["CLIENT"])  # rule 2 would break
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "network_blocks_change"
    assert [e["field"] for e in body["errors"]] == [f"relations.{net['ans_joost'].pk}"]
    assert body["errors"][0]["detail"] == (f"relations {net['ans_joost'].pk}: A client never "
                                           "relates directly to another client (rule 2).")
    assert User.objects.get(pk=net["ans"].pk).authorisation == Role.GUARDIAN
    # The integrator ends the relation first; then the change goes through.
    assert api_a.delete(f"/api/relations/{net['ans_joost'].pk}/").status_code == 204
    net["ans_joost"].refresh_from_db()
    assert net["ans_joost"].end_date == today() - DAY  # ended, history kept
    assert _roles(api_a, net["ans"], ["CLIENT"]).status_code == 200


def test_a_client_turned_counselor_is_refused_while_people_relate_to_him(api_a, net):
    response = _roles(api_a, net["joost"], ["COUNSELOR"])  # rule 3 would break
    assert response.status_code == 409
    assert {e["field"] for e in response.json()["errors"]} == {
        f"relations.{net['ans_joost'].pk}", f"relations.{net['pieter_joost'].pk}"}


def test_a_group_member_turned_guardian_is_refused(api_a, org_a, net):
    group = Group.objects.create(organization=org_a, name="Team")
    member = services.save_membership(GroupMember(organization=org_a, group=group,
                                                    user=net["pieter"]))
    services.save_membership(GroupClient(organization=org_a, group=group,
                                           client=net["lisa"]))
    api_a.delete(f"/api/relations/{net['pieter_joost'].pk}/")
    response = _roles(api_a, net["pieter"], ["GUARDIAN"])
    assert response.status_code == 409
    assert [e["field"] for e in response.json()["errors"]] == [f"group-members.{member.pk}"]


def test_a_group_client_turned_guardian_is_refused_on_the_membership(api_a, org_a, net):
    group = Group.objects.create(organization=org_a, name="Team")
    entry = services.save_membership(GroupClient(organization=org_a, group=group,
                                                 client=net["lisa"]))
    response = _roles(api_a, net["lisa"], ["GUARDIAN"])
    assert response.status_code == 409
    assert [(e["field"], e["detail"]) for e in response.json()["errors"]] == [
        (f"group-clients.{entry.pk}",
         f"group-clients {entry.pk}: Only clients are a group's clients.")]


def test_a_counselor_plus_demoted_with_a_counselor_plus_relation_is_refused(api_a, org_a, net):
    plus = make_person(org_a, "plus", Role.COUNSELOR_PLUS)
    relate(org_a, net["lisa"], plus, "COUNSELOR_PLUS")
    assert _roles(api_a, plus, ["COUNSELOR"]).status_code == 409
    assert _roles(api_a, plus, ["COUNSELOR_PLUS"]).status_code == 200


def test_the_admin_refuses_the_same_role_change(org_a, net):
    _, device = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    ans = net["ans"]
    response = client.post(f"/admin/accounts/user/{ans.pk}/change/", {
        "username": "ans", "roles": ["CLIENT"], "is_active": "on"})
    assert response.status_code == 200  # the form again, with the error
    assert "relations " in response.content.decode()
    assert User.objects.get(pk=ans.pk).authorisation == Role.GUARDIAN


def test_deactivated_people_neither_give_nor_get_access(api_a, net):
    joost, ans, pieter = net["joost"], net["ans"], net["pieter"]
    assert "contact" in api_a.get(f"/api/users/{ans.pk}/access/{joost.pk}/").json()["granted"]
    assert api_a.delete(f"/api/users/{ans.pk}/").status_code == 204  # deactivate
    # The relation is kept (history) but grants nothing, and both views agree.
    assert Relation.objects.filter(pk=net["ans_joost"].pk, end_date__isnull=True).exists()
    assert api_a.get(f"/api/users/{ans.pk}/access/{joost.pk}/").json()["granted"] == []
    assert api_a.get(f"/api/users/{pieter.pk}/access/{ans.pk}/").json()["granted"] == []
    assert api_a.get(f"/api/users/{ans.pk}/network/").json()["clients"] == []
    network = api_a.get(f"/api/users/{joost.pk}/network/").json()["clients"][0]["network"]
    assert [m["person"]["id"] for m in network] == [pieter.pk]
    # Nobody new relates to them.
    response = api_a.post("/api/relations/", {"client": net["lisa"].pk, "person": ans.pk,
                                              "authorisation": "GUARDIAN"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "inactive_person"
    # Ending what they had still works.
    assert api_a.delete(f"/api/relations/{net['ans_joost'].pk}/").status_code == 204
    # A deactivated client: nobody sees them any more.
    api_a.delete(f"/api/users/{joost.pk}/")
    assert api_a.get(f"/api/users/{pieter.pk}/access/{joost.pk}/").json()["granted"] == []
    assert api_a.get(f"/api/users/{pieter.pk}/network/").json()["clients"] == []


def test_reactivation_rechecks_and_restores(api_a, net):
    ans = net["ans"]
    api_a.delete(f"/api/users/{ans.pk}/")
    response = api_a.patch(f"/api/users/{ans.pk}/", {"is_active": True}, format="json")
    assert response.status_code == 200, response.content
    assert "contact" in api_a.get(
        f"/api/users/{ans.pk}/access/{net['joost'].pk}/").json()["granted"]


def test_a_relation_stays_within_the_default_authorisation(api_a, org_a, net):
    response = api_a.post("/api/relations/", {"client": net["lisa"].pk,
                                              "person": net["ans"].pk,
                                              "authorisation": "COUNSELOR_PLUS"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "exceeds_default_authorisation"
    # Lower than the default is fine: a counselor may be an external of another client.
    response = api_a.post("/api/relations/", {"client": net["lisa"].pk,
                                              "person": net["pieter"].pk,
                                              "authorisation": "EXTERNAL"}, format="json")
    assert response.status_code == 201
    group = Group.objects.create(organization=org_a, name="Team")
    response = api_a.post("/api/group-members/", {"group": group.pk, "user": net["pieter"].pk,
                                                  "role": "COUNSELOR_PLUS"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "exceeds_default_authorisation"


def test_giving_bsn_sight_needs_the_bsn_grant(org_a, net):
    plus = make_person(org_a, "plus", Role.COUNSELOR_PLUS)
    without = make_app(org_a, username="nobsn",
                       grants=[g for g in Grant.values if g != Grant.BSN])
    api = client_for(org_a, issue_token(without).token)
    body = {"client": net["lisa"].pk, "person": plus.pk, "authorisation": "COUNSELOR_PLUS"}
    response = api.post("/api/relations/", body, format="json")
    assert response.status_code == 403 and response.json()["code"] == "missing_grant"
    assert not Relation.objects.filter(person=plus).exists()
    # The same application may give COUNSELOR (no BSN), but not raise it afterwards.
    created = api.post("/api/relations/", {**body, "authorisation": "COUNSELOR"},
                       format="json").json()
    response = api.patch(f"/api/relations/{created['id']}/",
                         {"authorisation": "COUNSELOR_PLUS"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "missing_grant"
    group = Group.objects.create(organization=org_a, name="Team")
    response = api.post("/api/group-members/", {"group": group.pk, "user": plus.pk,
                                                "role": "COUNSELOR_PLUS"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "missing_grant"
    # With the grant it is allowed.
    full = client_for(org_a, issue_token(make_app(org_a, username="full")).token)
    assert full.patch(f"/api/relations/{created['id']}/", {"authorisation": "COUNSELOR_PLUS"},
                      format="json").status_code == 200


def test_a_persons_organisation_never_changes(org_a, net):
    other = create_organization(slug="org-c", name="C")
    joost = User.objects.get(pk=net["joost"].pk)
    joost.organization = other
    with pytest.raises(ValidationError) as exc:
        accounts.save_user(joost)
    assert exc.value.error_dict["organization"][0].code == "organization_immutable"
    joost = User.objects.get(pk=net["joost"].pk)
    joost.organization = other
    with pytest.raises(ValidationError):
        joost.save()  # not even past the service
    assert User.objects.get(pk=joost.pk).organization_id == org_a.pk


def test_dates_far_outside_a_life_are_refused(api_a, net):
    for field, value in (("start_date", "0001-01-01"), ("end_date", "9999-12-31")):
        response = api_a.post("/api/relations/", {"client": net["lisa"].pk,
                                                  "person": net["pieter"].pk,
                                                  "authorisation": "COUNSELOR", field: value},
                              format="json")
        assert response.status_code == 400 and response.json()["code"] == "date_out_of_range"


def test_any_role_change_revokes_tokens(org_a):
    app = make_app(org_a, username="koppeling")
    token = issue_token(app).token
    app.is_application, app.authorisation = False, Role.COUNSELOR
    app.grants = []
    app.save()
    app.is_application, app.authorisation = True, None
    app.save()  # the Application role given back
    response = client_for(org_a, token).get("/api/users/")
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"


def test_an_invitation_to_any_email_address_can_be_accepted(api_a, org_a, net):
    org_a.feature_invitations = True
    org_a.save()
    response = api_a.post("/api/invitations/", {
        "kind": "network", "client": net["joost"].pk, "email": "o'brien@example.org",
        "first_name": "Sean", "authorisation": "EXTERNAL"}, format="json")
    assert response.status_code == 201, response.content
    response = api_a.post("/api/invitations/accept/", {"token": response.json()["token"]},
                          format="json")
    assert response.status_code == 200, response.content
    person = User.objects.get(email="o'brien@example.org")
    assert person.username.startswith("obrien-")

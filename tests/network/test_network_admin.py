"""The care network in the admin: scoped, rules shown on the form, features hidden when off."""

from __future__ import annotations

import pytest

from omgeving.accounts.models import Role, User
from omgeving.network.models import Relation

from ..helpers import make_person

pytestmark = pytest.mark.django_db


def _form_errors(response) -> dict:
    """The errors the admin's form shows next to its fields ("__all__": above them)."""
    return {field: [str(e) for e in errors]
            for field, errors in response.context["adminform"].form.errors.items()}


def test_a_client_is_not_offered_as_the_person_and_nothing_is_saved(admin_client, org_a):
    # Rule 2 (a client never relates to a client) is decided by the form's choices here: the
    # person field offers no client, so the pair is refused at the field, before the service.
    joost, lisa = make_person(org_a, "joost"), make_person(org_a, "lisa")
    response = admin_client.post("/admin/network/relation/add/", {
        "client": joost.pk, "person": lisa.pk, "authorisation": "GUARDIAN",
        "start_date": "2026-01-01"})
    assert response.status_code == 200
    assert list(_form_errors(response)) == ["person"]
    assert "valid choice" in _form_errors(response)["person"][0]
    assert not Relation.objects.exists()


def test_the_services_rules_are_shown_next_to_the_field_and_nothing_is_saved(admin_client,
                                                                              org_a):
    # Rules the choices cannot decide reach the service's check_relation through the form.
    joost = make_person(org_a, "joost")
    ans = make_person(org_a, "ans", Role.EXTERNAL)
    response = admin_client.post("/admin/network/relation/add/", {
        "client": joost.pk, "person": ans.pk, "authorisation": "GUARDIAN",
        "start_date": "2026-01-01"})
    assert response.status_code == 200
    assert list(_form_errors(response)) == ["authorisation"]
    assert not Relation.objects.exists()

    data = {"client": joost.pk, "person": ans.pk, "authorisation": "EXTERNAL",
            "start_date": "2026-01-01"}
    assert admin_client.post("/admin/network/relation/add/", data).status_code == 302
    response = admin_client.post("/admin/network/relation/add/", data)
    assert _form_errors(response) == {"__all__": [
        "This person already has a relation with this client in an overlapping period."]}
    assert Relation.objects.count() == 1


def test_a_valid_relation_is_saved_through_the_service(admin_client, org_a):
    joost, ans = make_person(org_a, "joost"), make_person(org_a, "ans", Role.GUARDIAN)
    response = admin_client.post("/admin/network/relation/add/", {
        "client": joost.pk, "person": ans.pk, "authorisation": "GUARDIAN",
        "start_date": "2026-01-01"})
    assert response.status_code == 302
    relation = Relation.objects.get()
    assert relation.organization == org_a and relation.person == ans


def test_people_of_another_organisation_are_not_offered(admin_client, org_a, org_b):
    make_person(org_b, "stranger", Role.GUARDIAN)
    page = admin_client.get("/admin/network/relation/add/").content.decode()
    assert "stranger" not in page


def test_features_are_hidden_when_off(admin_client, org_a):
    index = admin_client.get("/admin/").content.decode()
    assert "/admin/network/family/" not in index
    assert admin_client.get("/admin/network/family/").status_code == 403
    org_a.feature_families = True
    org_a.save()
    assert "/admin/network/family/" in admin_client.get("/admin/").content.decode()
    assert admin_client.get("/admin/network/family/").status_code == 200


def test_group_inlines_run_the_rules(admin_client, org_a):
    from omgeving.network.models import Group, GroupMember

    guardian = make_person(org_a, "ans", Role.GUARDIAN)
    counselor = make_person(org_a, "pieter", Role.COUNSELOR)

    def post(user, role="COUNSELOR"):
        return admin_client.post("/admin/network/group/add/", {
            "name": f"Team {user.username}", "kind": "team",
            "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "0",
            "members-0-user": user.pk, "members-0-role": role,
            "members-0-start_date": "2026-01-01",
            "clients-TOTAL_FORMS": "0", "clients-INITIAL_FORMS": "0"})

    response = post(guardian)  # not offered: the form refuses the choice itself
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = post(counselor, role="COUNSELOR_PLUS")  # offered, but the rule refuses
    assert response.status_code == 200
    assert "cannot give them COUNSELOR_PLUS" in response.content.decode()
    assert not Group.objects.exists()
    assert post(counselor).status_code == 302
    member = GroupMember.objects.get()
    assert member.user == counselor and member.organization == org_a


def test_the_admin_ends_what_it_deletes_and_keeps_the_history(admin_client, org_a):
    import datetime

    from omgeving.network import services
    from omgeving.network.models import Group, GroupClient, GroupMember, Invitation, today

    joost, ans = make_person(org_a, "joost"), make_person(org_a, "ans", Role.GUARDIAN)
    month_ago = today() - datetime.timedelta(days=30)
    relation = services.save_relation(Relation(organization=org_a, client=joost, person=ans,
                                               authorisation="GUARDIAN", start_date=month_ago))
    response = admin_client.post(f"/admin/network/relation/{relation.pk}/delete/",
                                 {"post": "yes"})
    assert response.status_code == 302
    relation.refresh_from_db()
    assert relation.end_date == today() - datetime.timedelta(days=1)

    # A group with (ended or running) memberships is not deleted with them.
    pieter = make_person(org_a, "pieter", Role.COUNSELOR)
    group = Group.objects.create(organization=org_a, name="Team")
    services.save_membership(GroupMember(organization=org_a, group=group, user=pieter))
    services.save_membership(GroupClient(organization=org_a, group=group, client=joost))
    admin_client.post(f"/admin/network/group/{group.pk}/delete/", {"post": "yes"})
    assert GroupMember.objects.filter(group=group).count() == 1
    assert GroupClient.objects.filter(group=group).count() == 1
    page = admin_client.get(f"/admin/network/group/{group.pk}/change/").content.decode()
    assert "-DELETE" not in page  # memberships are ended by date, not deleted

    org_a.feature_invitations = True
    org_a.save()
    invitation = Invitation.objects.create(
        organization=org_a, kind="network", client=joost, email="x@example.org",
        authorisation="EXTERNAL", invited_by=ans, expires_at="2099-01-01T00:00:00Z")
    assert admin_client.post(f"/admin/network/invitation/{invitation.pk}/delete/",
                             {"post": "yes"}).status_code == 403
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_the_api_refuses_to_delete_a_group_with_history(org_a, api_a):
    from omgeving.network import services
    from omgeving.network.models import Group, GroupMember

    pieter = make_person(org_a, "pieter", Role.COUNSELOR)
    group = Group.objects.create(organization=org_a, name="Team")
    services.save_membership(GroupMember(organization=org_a, group=group, user=pieter))
    response = api_a.delete(f"/api/groups/{group.pk}/")
    assert response.status_code == 409 and response.json()["code"] == "in_use"
    empty = Group.objects.create(organization=org_a, name="Empty")
    assert api_a.delete(f"/api/groups/{empty.pk}/").status_code == 204


def test_the_admin_refuses_a_taken_name_through_the_same_rule(admin_client, org_a):
    from omgeving.network.models import RelationType

    RelationType.objects.create(organization=org_a, name="Moeder")
    response = admin_client.post("/admin/network/relationtype/add/", {"name": "Moeder"})
    assert response.status_code == 200  # the form again
    assert "One with this name exists in this organisation." in response.content.decode()
    assert RelationType.objects.count() == 1


def test_a_self_relation_shows_the_rules_message_not_the_constraints_name(admin_client, org_a):
    joost = make_person(org_a, "joost")
    response = admin_client.post("/admin/network/relation/add/", {
        "client": joost.pk, "person": joost.pk, "authorisation": "GUARDIAN",
        "start_date": "2026-01-01"})
    page = response.content.decode()
    assert response.status_code == 200 and not Relation.objects.exists()
    assert "relation_not_to_self" not in page and "is violated" not in page
    assert "relate to themselves" in page


def test_the_relation_form_offers_only_the_people_that_fit(admin_client, org_a):
    joost = make_person(org_a, "joost", display_name="Joost de Vries")
    ans = make_person(org_a, "ans", Role.GUARDIAN, display_name="Ans de Vries")
    gone = make_person(org_a, "gone", Role.CLIENT, display_name="Gone de Vries")
    gone.is_active = False
    gone.save()
    make_person(org_a, "app-like", Role.COUNSELOR, display_name="Pieter de Vries")

    def found(field):
        response = admin_client.get("/admin/autocomplete/", {
            "term": "de Vries", "app_label": "network", "model_name": "relation",
            "field_name": field})
        assert response.status_code == 200
        return {int(r["id"]) for r in response.json()["results"]}

    assert found("client") == {joost.pk}  # active clients only
    assert found("person") == {ans.pk, User.objects.get(username="app-like").pk}
    page = admin_client.get("/admin/network/relation/add/").content.decode()
    assert "admin-autocomplete" in page  # the form searches instead of listing everyone
    assert "A direct relation links a person to a client" in page
    assert "A client never relates directly to another client (rule 2)." in page


def test_group_inlines_offer_professionals_and_clients(admin_client, org_a):
    pieter = make_person(org_a, "pieter", Role.COUNSELOR, display_name="Pieter Visser")
    joost = make_person(org_a, "joost", display_name="Joost Visser")
    make_person(org_a, "ans", Role.GUARDIAN, display_name="Ans Visser")

    def found(model, field):
        response = admin_client.get("/admin/autocomplete/", {
            "term": "Visser", "app_label": "network", "model_name": model,
            "field_name": field})
        assert response.status_code == 200
        return {int(r["id"]) for r in response.json()["results"]}

    assert found("groupmember", "user") == {pieter.pk}
    assert found("groupclient", "client") == {joost.pk}
    page = admin_client.get("/admin/network/group/add/").content.decode()
    assert "A group is a team or a location" in page
    assert "already in this group in an overlapping period" in page


def test_apps_have_readable_names(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "OTP_TOTP" not in page and "Second factor (authenticator apps)" in page

"""The care network in the admin: scoped, rules shown on the form, features hidden when off."""

from __future__ import annotations

import pytest

from omgeving.accounts.models import Role
from omgeving.network.models import Relation

from .helpers import make_person
from .test_admin_login import admin_of, log_in, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(org_a):
    _, device = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    return client


def test_a_rule_is_shown_on_the_form_and_nothing_is_saved(admin_client, org_a):
    joost, lisa = make_person(org_a, "joost"), make_person(org_a, "lisa")
    response = admin_client.post("/admin/network/relation/add/", {
        "client": joost.pk, "person": lisa.pk, "authorisation": "GUARDIAN",
        "start_date": "2026-01-01"})
    assert response.status_code == 200
    assert "never relates directly to another client" in response.content.decode()
    assert not Relation.objects.exists()


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

    def post(user):
        return admin_client.post("/admin/network/group/add/", {
            "name": f"Team {user.username}", "kind": "team",
            "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "0",
            "members-0-user": user.pk, "members-0-role": "COUNSELOR",
            "members-0-start_date": "2026-01-01",
            "clients-TOTAL_FORMS": "0", "clients-INITIAL_FORMS": "0"})

    response = post(guardian)
    assert response.status_code == 200 and "professionals" in response.content.decode()
    assert not Group.objects.exists()
    assert post(counselor).status_code == 302
    member = GroupMember.objects.get()
    assert member.user == counselor and member.organization == org_a

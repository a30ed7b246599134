"""Upsert by the ECD's key: PUT /api/<resource>/external/<external_id>/ creates (201) or
replaces (200), through the same rules as POST and PUT."""

from __future__ import annotations

import pytest

from omgeving.accounts.models import Role, User
from omgeving.audit.models import AccessLogEntry
from omgeving.changes.models import ChangeEvent
from omgeving.network.models import Family, Group, Relation

from ..helpers import make_person
from .test_errors import assert_problem

pytestmark = pytest.mark.django_db


def test_users_are_created_then_replaced(api_a, org_a):
    url = "/api/users/external/ecd-12/"
    created = api_a.put(url, {"username": "joost", "roles": ["CLIENT"]}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["external_id"] == "ecd-12"
    replaced = api_a.put(url, {"username": "joost", "roles": ["CLIENT"], "first_name": "J"},
                         format="json")
    assert replaced.status_code == 200 and replaced.json()["id"] == created.json()["id"]
    assert User.objects.get(external_id="ecd-12").first_name == "J"
    actions = list(AccessLogEntry.objects.filter(subject_id=created.json()["id"])
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["create", "update"]
    events = list(ChangeEvent.objects.filter(resource="users", object_id=created.json()["id"])
                  .order_by("seq").values_list("action", flat=True))
    assert events == ["created", "updated"]


def test_the_same_rules_as_post(api_a, org_a):
    # Administrators are not given through the API, by upsert neither.
    response = api_a.put("/api/users/external/x/", {"username": "boss",
                                                    "roles": ["ADMINISTRATOR"]}, format="json")
    assert_problem(response, 403, "role_not_assignable")
    joost, lisa = make_person(org_a, "joost"), make_person(org_a, "lisa")
    response = api_a.put("/api/relations/external/r-1/", {
        "client": joost.pk, "person": lisa.pk, "authorisation": "GUARDIAN"}, format="json")
    assert_problem(response, 400, "client_to_client")
    assert not Relation.objects.exists()


def test_relations_groups_and_families(api_a, org_a):
    org_a.feature_families = True
    org_a.save()
    joost, ans = make_person(org_a, "joost"), make_person(org_a, "ans", Role.GUARDIAN)
    body = {"client": joost.pk, "person": ans.pk, "authorisation": "GUARDIAN"}
    assert api_a.put("/api/relations/external/r-1/", body, format="json").status_code == 201
    assert api_a.put("/api/relations/external/r-1/", {**body, "authorisation": "EXTERNAL"},
                     format="json").status_code == 200
    assert Relation.objects.get(external_id="r-1").authorisation == "EXTERNAL"
    assert api_a.put("/api/groups/external/g-1/", {"name": "Team"},
                     format="json").status_code == 201
    assert api_a.put("/api/groups/external/g-1/", {"name": "Team Noord"},
                     format="json").status_code == 200
    assert Group.objects.get(external_id="g-1").name == "Team Noord"
    assert api_a.put("/api/families/external/f-1/", {"name": "De Vries",
                                                     "members": [joost.pk]},
                     format="json").status_code == 201
    assert list(Family.objects.get(external_id="f-1").member_users) == [joost]


def test_a_body_with_another_external_id_is_400(api_a):
    response = api_a.put("/api/users/external/a/", {"username": "x", "roles": ["CLIENT"],
                                                    "external_id": "b"}, format="json")
    assert_problem(response, 400, "external_id_mismatch")


def test_another_organisations_object_is_never_replaced(api_a, org_a, org_b):
    theirs = make_person(org_b, "theirs", external_id="same-key")
    response = api_a.put("/api/users/external/same-key/", {"username": "ours",
                                                           "roles": ["CLIENT"]}, format="json")
    assert response.status_code == 201
    theirs.refresh_from_db()
    assert theirs.username == "theirs" and theirs.organization == org_b

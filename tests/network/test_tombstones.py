"""Nothing vanishes: a DELETE leaves a tombstone (`deleted_at`), left out of lists unless
`?include_deleted=true`, `deleted` in the feed, and its address answers 410 `deleted`."""

from __future__ import annotations

import datetime

import pytest

from omgeving.accounts.models import Role
from omgeving.network import services
from omgeving.network.models import Group, GroupClient, GroupMember, Relation, today

from ..helpers import admin_of, log_in, make_person, totp_code

pytestmark = pytest.mark.django_db


def _created(api, path, body):
    response = api.post(path, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _feed(api, resource):
    return [(e["object_id"], e["action"], e["version"])
            for e in api.get("/api/changes/", {"resource": resource}).json()["results"]]


@pytest.mark.parametrize(("path", "resource", "body", "feature"), [
    ("/api/relation-types/", "relation-types", {"name": "Moeder"}, None),
    ("/api/groups/", "groups", {"name": "Team"}, None),
    ("/api/families/", "families", {"name": "Gezin de Vries"}, "families"),
    ("/api/care-statuses/", "care-statuses", {"name": "wachtlijst"}, "care_status"),
])
def test_a_deleted_object_is_a_tombstone(api_a, org_a, path, resource, body, feature):
    if feature:
        setattr(org_a, f"feature_{feature}", True)
        org_a.save()
    obj = _created(api_a, path, body)
    detail = f"{path}{obj['id']}/"
    assert api_a.delete(detail).status_code == 204

    for answer in (api_a.get(detail), api_a.patch(detail, {}, format="json"),
                   api_a.delete(detail)):
        assert answer.status_code == 410, answer.content
        assert (answer.json()["code"], answer.json()["detail"]) == (
            "deleted", "This object was deleted.")
    assert api_a.get(path).json()["results"] == []
    listed = api_a.get(path, {"include_deleted": "true"}).json()["results"]
    assert [o["id"] for o in listed] == [obj["id"]] and listed[0]["deleted_at"]
    assert _feed(api_a, resource) == [(obj["id"], "created", 1), (obj["id"], "deleted", 2)]
    # The name is free again: a new object, not the tombstone brought back.
    again = _created(api_a, path, body)
    assert again["id"] != obj["id"]


def test_include_deleted_takes_true_or_false_only(api_a):
    response = api_a.get("/api/groups/", {"include_deleted": "yes"})
    assert response.status_code == 400 and "include_deleted" in str(response.json()["errors"])
    assert api_a.get("/api/users/", {"include_deleted": "true"}).status_code == 400


def test_an_upsert_after_deletion_creates_a_new_object(api_a):
    first = api_a.put("/api/groups/external/ecd-g/", {"name": "Team"}, format="json")
    assert first.status_code == 201
    assert api_a.delete(f"/api/groups/{first.json()['id']}/").status_code == 204
    second = api_a.put("/api/groups/external/ecd-g/", {"name": "Team"}, format="json")
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]


def test_a_relation_that_had_not_started_is_deleted_and_grants_nothing(api_a, org_a):
    joost, ans = make_person(org_a, "joost"), make_person(org_a, "ans", Role.GUARDIAN)
    relation = _created(api_a, "/api/relations/", {
        "client": joost.pk, "person": ans.pk, "authorisation": "GUARDIAN",
        "start_date": str(today() + datetime.timedelta(days=3))})
    assert api_a.delete(f"/api/relations/{relation['id']}/").status_code == 204
    assert api_a.get(f"/api/relations/{relation['id']}/").status_code == 410
    assert not Relation.objects.exists() and Relation.all_objects.count() == 1
    assert _feed(api_a, "relations") == [(relation["id"], "created", 1),
                                         (relation["id"], "deleted", 2)]
    # A tombstone is not a relation: the same pair may relate again from the same day.
    _created(api_a, "/api/relations/", {
        "client": joost.pk, "person": ans.pk, "authorisation": "GUARDIAN",
        "start_date": str(today() + datetime.timedelta(days=3))})
    listed = api_a.get("/api/relations/", {"include_deleted": "true"}).json()["results"]
    assert [r["deleted_at"] is not None for r in listed] == [True, False]


def test_a_started_relation_is_ended_not_deleted(api_a, org_a):
    joost, ans = make_person(org_a, "joost"), make_person(org_a, "ans", Role.GUARDIAN)
    relation = _created(api_a, "/api/relations/", {
        "client": joost.pk, "person": ans.pk, "authorisation": "GUARDIAN",
        "start_date": str(today() - datetime.timedelta(days=3))})
    assert api_a.delete(f"/api/relations/{relation['id']}/").status_code == 204
    body = api_a.get(f"/api/relations/{relation['id']}/").json()
    assert body["deleted_at"] is None and body["end_date"] == str(today() - datetime.timedelta(1))
    assert [a for _, a, _ in _feed(api_a, "relations")] == ["created", "updated"]


def test_a_group_whose_only_membership_was_deleted_can_be_deleted(api_a, org_a):
    karin = make_person(org_a, "karin", Role.COUNSELOR)
    group = Group.objects.create(organization=org_a, name="Team")
    member = services.save_membership(GroupMember(organization=org_a, group=group, user=karin))
    assert api_a.delete(f"/api/groups/{group.pk}/").json()["code"] == "in_use"
    assert api_a.delete(f"/api/group-members/{member.pk}/").status_code == 204  # not started
    assert api_a.delete(f"/api/groups/{group.pk}/").status_code == 204
    assert GroupMember.all_objects.filter(pk=member.pk, deleted_at__isnull=False).exists()


def test_memberships_have_an_external_id_unique_among_the_living(api_a, org_a):
    group = Group.objects.create(organization=org_a, name="Team")
    joost, lisa = make_person(org_a, "joost"), make_person(org_a, "lisa")
    first = api_a.put("/api/group-clients/external/m-1/",
                      {"group": group.pk, "client": joost.pk}, format="json")
    assert first.status_code == 201 and first.json()["external_id"] == "m-1"
    taken = api_a.post("/api/group-clients/", {"group": group.pk, "client": lisa.pk,
                                               "external_id": "m-1"}, format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "external_id_taken"
    assert api_a.get("/api/group-clients/", {"external_id": "m-1"}).json()["results"][0][
        "id"] == first.json()["id"]
    assert api_a.delete(f"/api/group-clients/{first.json()['id']}/").status_code == 204
    again = api_a.post("/api/group-clients/", {"group": group.pk, "client": lisa.pk,
                                               "external_id": "m-1"}, format="json")
    assert again.status_code == 201
    assert GroupClient.all_objects.filter(external_id="m-1").count() == 2


def test_the_admin_deletes_as_the_api_does(org_a, api_a):
    org_a.feature_families = True
    org_a.save()
    _, device = admin_of(org_a)
    admin, _ = log_in(org_a, "beheer", token=totp_code(device))
    family = _created(api_a, "/api/families/", {"name": "Gezin"})
    group = Group.objects.create(organization=org_a, name="Team")
    for url in (f"/admin/network/family/{family['id']}/delete/",
                f"/admin/network/group/{group.pk}/delete/"):
        assert admin.post(url, {"post": "yes"}).status_code == 302
    assert api_a.get(f"/api/families/{family['id']}/").status_code == 410
    assert api_a.get(f"/api/groups/{group.pk}/").status_code == 410
    assert _feed(api_a, "families")[-1][1] == "deleted"
    assert admin.get(f"/admin/network/group/{group.pk}/change/").status_code == 302  # gone


def test_another_organisations_tombstone_is_not_found(api_a, org_b, app_b):
    from omgeving.tokens.services import issue_token

    from ..helpers import client_for

    api_b = client_for(org_b, issue_token(app_b).token)
    group = _created(api_a, "/api/groups/", {"name": "Team"})
    assert api_a.delete(f"/api/groups/{group['id']}/").status_code == 204
    assert api_b.get(f"/api/groups/{group['id']}/").status_code == 404  # not 410: not theirs
    assert api_b.get("/api/groups/", {"include_deleted": "true"}).json()["results"] == []
    assert api_a.get("/api/groups/999999/").status_code == 404  # never existed

"""Lost updates and needless transfers: ETag = the object's version; If-None-Match → 304,
a stale If-Match → 412 and nothing changes."""

from __future__ import annotations

import datetime

import pytest

from omgeving.accounts.models import Role, User
from omgeving.audit.models import AccessLogEntry
from omgeving.changes.models import ChangeEvent
from omgeving.network import services
from omgeving.network.models import Relation

from ..helpers import make_person
from .test_errors import assert_problem

pytestmark = pytest.mark.django_db


def test_etag_and_304(api_a, org_a):
    joost = make_person(org_a, "joost")
    response = api_a.get(f"/api/users/{joost.pk}/")
    assert response.status_code == 200 and response["ETag"] == '"1"'
    assert "Location" not in response  # only a 201 names an address
    again = api_a.get(f"/api/users/{joost.pk}/", HTTP_IF_NONE_MATCH='"1"')
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == '"1"'
    # Not sent again, but read all the same: in the access log.
    assert AccessLogEntry.objects.filter(subject=joost, status=304).count() == 1
    assert api_a.get(f"/api/users/{joost.pk}/", HTTP_IF_NONE_MATCH='"7"').status_code == 200


def test_if_match_stops_a_lost_update(api_a, org_a):
    joost = make_person(org_a, "joost")
    first = api_a.patch(f"/api/users/{joost.pk}/", {"first_name": "Joost"}, format="json",
                        HTTP_IF_MATCH='"1"')
    assert first.status_code == 200 and first["ETag"] == '"2"'
    # A second writer that read version 1 too is refused, and nothing changes.
    stale = api_a.patch(f"/api/users/{joost.pk}/", {"first_name": "Other"}, format="json",
                        HTTP_IF_MATCH='"1"')
    assert_problem(stale, 412, "precondition_failed")
    assert User.objects.get(pk=joost.pk).first_name == "Joost"
    # Without If-Match the write goes through (the header is the caller's choice).
    assert api_a.patch(f"/api/users/{joost.pk}/", {"last_name": "V"},
                       format="json")["ETag"] == '"3"'
    # The feed's version is the ETag's.
    versions = list(ChangeEvent.objects.filter(resource="users", object_id=joost.pk)
                    .order_by("seq").values_list("version", flat=True))
    assert versions == [1, 2, 3]


def test_a_stale_delete_is_412(api_a, org_a):
    joost, ans = make_person(org_a, "joost"), make_person(org_a, "ans", Role.GUARDIAN)
    relation = services.save_relation(Relation(organization=org_a, client=joost, person=ans,
                                               authorisation="GUARDIAN",
                                               start_date=datetime.date(2020, 1, 1)))
    relation.end_date = datetime.date(2030, 1, 1)
    relation.save()  # someone else changed it: version 2
    response = api_a.delete(f"/api/relations/{relation.pk}/", HTTP_IF_MATCH='"1"')
    assert_problem(response, 412, "precondition_failed")
    relation.refresh_from_db()
    assert str(relation.end_date) == "2030-01-01" and relation.version == 2
    assert api_a.delete(f"/api/relations/{relation.pk}/",
                        HTTP_IF_MATCH='"2"').status_code == 204


def test_versions_count_every_change_including_update_fields_saves(org_a):
    joost, ans = make_person(org_a, "joost"), make_person(org_a, "ans", Role.GUARDIAN)
    relation = services.save_relation(Relation(organization=org_a, client=joost, person=ans,
                                               authorisation="GUARDIAN",
                                               start_date=datetime.date(2020, 1, 1)))
    services.end_or_remove(relation)  # saves with update_fields
    relation.refresh_from_db()
    assert relation.version == 2


def test_every_object_shows_its_version_in_lists_too(api_a, org_a):
    """A mirror reading a page knows each object's version (its ETag) without a GET each."""
    joost = make_person(org_a, "joost")
    api_a.patch(f"/api/users/{joost.pk}/", {"display_name": "Joost"}, format="json")
    api_a.patch(f"/api/users/{joost.pk}/", {"display_name": "Joost V."}, format="json")
    listed = {u["username"]: u for u in api_a.get("/api/users/").json()["results"]}
    detail = api_a.get(f"/api/users/{joost.pk}/")
    assert listed["joost"]["version"] == detail.json()["version"] == 3
    assert detail["ETag"] == '"3"'
    relation = services.save_relation(Relation(organization=org_a, client=joost,
                                               person=make_person(org_a, "ans", Role.GUARDIAN),
                                               authorisation=Role.GUARDIAN))
    [row] = api_a.get("/api/relations/").json()["results"]
    assert row["id"] == relation.pk and row["version"] == relation.version == 1


@pytest.mark.parametrize("header, not_modified", [
    ('W/"1"', True),  # a weak validator names the same version
    ('"7", "1"', True),  # a list
    ('"7","1"', True),  # a list without spaces
    ("*", True),
    ('"7"', False),
    ('w/"1"', False),  # the prefix is W/, in capitals (RFC 9110)
    ('"1"W/', False),
])
def test_if_none_match_reads_validators_as_http_writes_them(api_a, org_a, header,
                                                            not_modified):
    joost = make_person(org_a, "joost")
    answer = api_a.get(f"/api/users/{joost.pk}/", HTTP_IF_NONE_MATCH=header)
    assert answer.status_code == (304 if not_modified else 200)


def test_if_match_star_is_any_version_and_a_list_names_several(api_a, org_a):
    joost = make_person(org_a, "joost")
    path = f"/api/users/{joost.pk}/"
    assert api_a.patch(path, {"first_name": "A"}, format="json",
                       HTTP_IF_MATCH="*").status_code == 200
    assert api_a.patch(path, {"first_name": "B"}, format="json",
                       HTTP_IF_MATCH='"1","2"').status_code == 200
    assert api_a.patch(path, {"first_name": "C"}, format="json",
                       HTTP_IF_MATCH='"1","2"').status_code == 412  # now at 3
    assert User.objects.get(pk=joost.pk).first_name == "B"


def test_a_list_has_no_etag_and_is_never_304(api_a, org_a):
    make_person(org_a, "joost")
    answer = api_a.get("/api/users/", HTTP_IF_NONE_MATCH="*")
    assert answer.status_code == 200 and "ETag" not in answer and "Location" not in answer

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from omgeving.accounts.models import Role, User

from ..helpers import client_for, make_person

pytestmark = pytest.mark.django_db
BSN = "111222333"


@pytest.fixture
def people(org_a, org_b):
    return {
        "joost": make_person(org_a, "joost", Role.CLIENT, first_name="Joost",
                             last_name="de Vries", email="joost@example.org", bsn=BSN,
                             external_id="ECD-1", date_of_birth="2012-03-04"),
        "mother": make_person(org_a, "ans", Role.GUARDIAN, first_name="Ans",
                              last_name="de Vries"),
        "counselor": make_person(org_a, "pieter", Role.COUNSELOR, display_name="Pieter B."),
        "gone": make_person(org_a, "gone", Role.EXTERNAL, is_active=False),
        "elsewhere": make_person(org_b, "joost", Role.CLIENT, first_name="Joost"),
    }


def usernames(response):
    assert response.status_code == 200, response.content
    return [u["username"] for u in response.json()["results"]]


def test_list_is_scoped_and_active_by_default(api_a, people):
    assert usernames(api_a.get("/api/users/")) == ["api", "joost", "ans", "pieter"]
    assert usernames(api_a.get("/api/users/?is_active=false")) == ["gone"]
    assert len(usernames(api_a.get("/api/users/?is_active=all"))) == 5


def test_list_carries_no_sensitive_fields(api_a, people):
    for row in api_a.get("/api/users/").json()["results"]:
        assert not {"bsn", "password", "date_of_birth", "phone", "token_version"} & set(row)


def test_detail_has_bsn_but_never_a_password(api_a, people):
    body = api_a.get(f"/api/users/{people['joost'].pk}/").json()
    assert body["bsn"] == BSN and body["date_of_birth"] == "2012-03-04"
    assert body["roles"] == ["CLIENT"] and body["external_id"] == "ECD-1"
    assert "password" not in body and "token_version" not in body


@pytest.mark.parametrize("query,expected", [
    ("role=CLIENT", ["joost"]),
    ("role=APPLICATION", ["api"]),
    ("search=de vries", ["joost", "ans"]),
    ("search=PIETER", ["pieter"]),
    ("search=example.org", ["joost"]),
    ("external_id=ECD-1", ["joost"]),
    ("external_id=ECD-404", []),
])
def test_filters(api_a, people, query, expected):
    assert usernames(api_a.get(f"/api/users/?{query}")) == expected


@pytest.mark.parametrize("few", [1, 10_000])
def test_modified_since_the_same_whichever_way_it_is_found(api_a, people, monkeypatch, few):
    """On SQLite, few matches are found through the modified index first, many by walking
    the list; the answer is the same (PostgreSQL always leaves it to its planner)."""
    from omgeving.api.filters import ModifiedSinceFilterSet

    monkeypatch.setattr(ModifiedSinceFilterSet, "FEW", few)
    User.objects.filter(pk__in=[people["mother"].pk, people["joost"].pk]).update(
        modified="2030-01-01T00:00:00Z")
    for params in ("", "&cursor=", "&is_active=all&role=GUARDIAN"):
        assert usernames(api_a.get(f"/api/users/?modified_since=2029-12-31T23:00:00Z"
                                   f"{params}")) == (["ans"] if "role" in params
                                                     else ["joost", "ans"])


def test_modified_since(api_a, people):
    User.objects.filter(pk=people["mother"].pk).update(modified="2030-01-01T00:00:00Z")
    assert usernames(api_a.get("/api/users/?modified_since=2029-12-31T23:00:00Z")) == ["ans"]
    response = api_a.get("/api/users/?modified_since=yesterday")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == \
        "modified_since"


@pytest.mark.parametrize("query,field", [
    ("rol=CLIENT", "rol"), ("role=NURSE", "role"), ("page_size=0", "page_size"),
    ("page_size=101", "page_size"), ("page_size=x", "page_size"), ("page=0", "page"),
])
def test_bad_query_parameters_are_400(api_a, people, query, field):
    response = api_a.get(f"/api/users/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


def test_pagination(api_a, people):
    first = api_a.get("/api/users/?page_size=3").json()
    assert first["count"] == 4 and len(first["results"]) == 3 and first["previous"] is None
    second = api_a.get(first["next"].split("localhost", 1)[1]).json()
    assert [u["username"] for u in second["results"]] == ["pieter"]
    assert api_a.get("/api/users/?page=9").status_code == 404


def test_another_organisations_user_is_404(api_a, people):
    response = api_a.get(f"/api/users/{people['elsewhere'].pk}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api_a.patch(f"/api/users/{people['elsewhere'].pk}/", {"first_name": "x"},
                       format="json").status_code == 404
    assert api_a.delete(f"/api/users/{people['elsewhere'].pk}/").status_code == 404


def test_create(api_a, org_a):
    response = api_a.post("/api/users/", {
        "username": "lisa", "roles": ["CLIENT"], "first_name": "Lisa", "bsn": "123456782",
        "external_id": "ECD-9", "date_of_birth": "2010-01-02",
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["roles"] == ["CLIENT"] and body["is_active"] is True
    user = User.objects.get(pk=body["id"])
    assert user.organization == org_a and not user.has_usable_password()


@pytest.mark.parametrize("body,status,code", [
    ({"roles": ["CLIENT"]}, 400, "required"),
    ({"username": "x"}, 400, "required"),
    ({"username": "x", "roles": []}, 400, "empty"),
    ({"username": "x", "roles": ["CLIENT", "GUARDIAN"]}, 400, "one_authorisation"),
    ({"username": "x", "roles": ["APPLICATION", "CLIENT"]}, 400, "application_role_exclusive"),
    ({"username": "x", "roles": ["APPLICATION"]}, 403, "role_not_assignable"),
    ({"username": "x", "roles": ["ADMINISTRATOR"]}, 403, "role_not_assignable"),
    ({"username": "x", "roles": ["CLIENT"], "bsn": "123456789"}, 400, "invalid_bsn"),
    ({"username": "x", "roles": ["CLIENT"], "email": "nope"}, 400, "invalid"),
    ({"username": "x y", "roles": ["CLIENT"]}, 400, "invalid_username"),
    ({"username": "x", "roles": ["CLIENT"], "password": "p"}, 400, "unknown_field"),
    ({"username": "x", "roles": ["CLIENT"], "is_superuser": True}, 400, "unknown_field"),
    ({"username": "joost", "roles": ["CLIENT"]}, 409, "username_taken"),
    ({"username": "x", "roles": ["CLIENT"], "external_id": "ECD-1"}, 409, "external_id_taken"),
])
def test_create_errors(api_a, people, body, status, code):
    before = User.objects.count()
    response = api_a.post("/api/users/", body, format="json")
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert User.objects.count() == before


def test_update_and_replace(api_a, people):
    joost = people["joost"]
    response = api_a.patch(f"/api/users/{joost.pk}/", {"display_name": "J."}, format="json")
    assert response.status_code == 200 and response.json()["display_name"] == "J."
    response = api_a.put(f"/api/users/{joost.pk}/", {"username": "joost2", "roles": ["CLIENT"]},
                         format="json")
    assert response.status_code == 200, response.content
    joost.refresh_from_db()
    assert joost.username == "joost2" and joost.bsn == BSN  # PUT without bsn keeps nothing out
    response = api_a.put(f"/api/users/{joost.pk}/", {"username": "joost3"}, format="json")
    assert response.status_code == 400


def test_administrators_and_applications_are_read_only_over_the_api(api_a, app_a, org_a):
    admin = make_person(org_a, "boss", Role.ADMINISTRATOR)
    for target in (admin, app_a):
        response = api_a.patch(f"/api/users/{target.pk}/", {"first_name": "x"}, format="json")
        assert response.status_code == 403 and response.json()["code"] == "user_not_manageable"
        assert api_a.delete(f"/api/users/{target.pk}/").status_code == 403
    joost = make_person(org_a, "joost2")
    response = api_a.patch(f"/api/users/{joost.pk}/", {"roles": ["ADMINISTRATOR"]},
                           format="json")
    assert response.status_code == 403
    joost.refresh_from_db()
    assert not joost.is_administrator


def test_delete_deactivates_and_keeps_data(api_a, people):
    joost = people["joost"]
    assert api_a.delete(f"/api/users/{joost.pk}/").status_code == 204
    joost.refresh_from_db()
    assert joost.is_active is False and joost.bsn == BSN
    assert api_a.delete(f"/api/users/{joost.pk}/").status_code == 204  # idempotent
    assert api_a.patch(f"/api/users/{joost.pk}/", {"is_active": True},
                       format="json").status_code == 200


def test_list_query_count_is_fixed(api_a, org_a, people):
    """Organisation, token user, count, page, one access-log insert: five queries however many
    users there are."""
    for i in range(30):
        make_person(org_a, f"extra{i}")
    with CaptureQueriesContext(connection) as queries:
        assert api_a.get("/api/users/?page_size=100").status_code == 200
    assert len(queries) == 5, [q["sql"] for q in queries]
    assert queries[-1]["sql"].startswith('INSERT INTO "audit_accesslogentry"')


def test_detail_query_count(api_a, people):
    with CaptureQueriesContext(connection) as queries:
        assert api_a.get(f"/api/users/{people['joost'].pk}/").status_code == 200
    assert len(queries) == 4  # organisation, token user, the user, the access-log row


def test_same_username_in_two_organisations_are_two_people(api_a, org_b, people):
    ids = [u["id"] for u in api_a.get("/api/users/?search=joost").json()["results"]]
    assert ids == [people["joost"].pk]
    assert client_for(org_b).get("/api/users/").status_code == 401


def test_detail_finds_inactive_users_and_takes_no_filters(api_a, people):
    assert api_a.get(f"/api/users/{people['gone'].pk}/").status_code == 200
    response = api_a.get(f"/api/users/{people['gone'].pk}/?role=CLIENT")
    assert response.status_code == 400 and response.json()["code"] == "unknown_parameter"


# Found by schemathesis (tests/fuzz), kept as plain regression tests.
def test_absurd_ids_are_404_not_an_overflow(api_a):
    assert api_a.get(f"/api/users/{2**70}/").status_code == 404
    assert api_a.get("/api/users/0/").status_code == 404
    assert api_a.get("/api/users/-1/").status_code == 404


@pytest.mark.parametrize("query", [
    "search=", "modified_since=", "external_id=", "role=",
])
def test_empty_parameter_values_are_400_not_no_filter(api_a, query):
    response = api_a.get(f"/api/users/?{query}")
    assert response.status_code == 400 and response.json()["code"] == "invalid_parameter"


@pytest.mark.parametrize("field,value", [
    ("is_active", "false"), ("is_active", 0), ("external_id", 7), ("first_name", 0),
    ("date_of_birth", "20120304"), ("date_of_birth", "2012-3-4"), ("date_of_birth", ""),
    ("bsn", 111222333), ("bsn", "1112223"),
])
def test_types_are_strict(api_a, people, field, value):
    response = api_a.patch(f"/api/users/{people['joost'].pk}/", {field: value}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field


def test_empty_bsn_means_none(api_a, people):
    response = api_a.patch(f"/api/users/{people['joost'].pk}/", {"bsn": ""}, format="json")
    assert response.status_code == 200 and response.json()["bsn"] == ""


def test_resources_take_json_only(api_a):
    response = api_a.post("/api/users/", {"username": "x", "roles": "CLIENT"})  # multipart
    assert response.status_code == 415


@pytest.mark.parametrize("value", ["0266-03-14T19:17:53.0%2B19:36", "0001-01-01T00:00:00%2B05:00"])
def test_odd_but_valid_looking_date_times_are_handled(api_a, value):
    """Found by schemathesis on PostgreSQL: an offset beyond what PostgreSQL takes was a 500."""
    response = api_a.get(f"/api/users/?modified_since={value}")
    assert response.status_code in (200, 400)
    assert response.status_code == 200 or response.json()["errors"][0]["field"] == \
        "modified_since"


def test_display_name_is_filled_from_first_and_last_name_when_empty(api_a):
    made = api_a.post("/api/users/", {"username": "joost", "roles": ["CLIENT"],
                                      "first_name": "Joost", "last_name": "de Vries"},
                      format="json").json()
    assert made["display_name"] == "Joost de Vries"
    renamed = api_a.patch(f"/api/users/{made['id']}/", {"last_name": "Jansen"},
                          format="json").json()
    assert renamed["display_name"] == "Joost Jansen"  # a made one follows the name
    chosen = api_a.post("/api/users/", {"username": "ans", "roles": ["GUARDIAN"],
                                        "first_name": "Ans", "display_name": "Mama Ans"},
                        format="json").json()
    assert chosen["display_name"] == "Mama Ans"  # a chosen one is kept
    assert api_a.patch(f"/api/users/{chosen['id']}/", {"first_name": "Anna"},
                       format="json").json()["display_name"] == "Mama Ans"
    bulk = api_a.post("/api/users/bulk/", {"items": [{
        "external_id": "e1", "username": "tim", "roles": ["EXTERNAL"], "last_name": "Bakker"}]},
        format="json").json()["results"][0]
    assert api_a.get(f"/api/users/{bulk['id']}/").json()["display_name"] == "Bakker"

"""The access log: one row per person per request, one INSERT, append-only, exportable."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from omgeving.accounts.grants import Grant
from omgeving.audit.models import AccessLogEntry, AccessRefusal, AppendOnlyError
from omgeving.tokens.services import issue_token

from ..helpers import admin_of, client_for, log_in, make_app, make_person, totp_code

pytestmark = pytest.mark.django_db
BSN = "111222333"


def rows():
    return list(AccessLogEntry.objects.order_by("id"))


@pytest.fixture
def joost(org_a):
    return make_person(org_a, "joost", bsn=BSN, date_of_birth="2012-03-04")


def test_reading_one_person_writes_one_row(api_a, app_a, joost):
    api_a.get(f"/api/users/{joost.pk}/", REMOTE_ADDR="203.0.113.9")
    [row] = rows()
    assert (row.actor, row.actor_username, row.subject) == (app_a, "api", joost)
    assert (row.resource, row.action, row.status) == ("users", "read", 200)
    assert row.sensitive_fields == ["bsn", "date_of_birth"]
    assert row.organization_id == joost.organization_id
    assert row.ip == "203.0.113.9" and row.method == "GET"
    assert row.path == f"/api/users/{joost.pk}/"


def test_without_the_bsn_grant_the_bsn_is_not_logged_as_read(org_a, joost):
    app = make_app(org_a, username="reader", grants=[Grant.USERS_READ])
    client_for(org_a, issue_token(app).token).get(f"/api/users/{joost.pk}/")
    assert rows()[0].sensitive_fields == ["date_of_birth"]


def test_a_list_writes_one_row_per_person_in_one_insert(api_a, org_a, app_a):
    people = [make_person(org_a, f"person{i}") for i in range(12)]
    with CaptureQueriesContext(connection) as queries:
        response = api_a.get("/api/users/?page_size=10&search=person")
    inserts = [q for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    listed = [u["id"] for u in response.json()["results"]]
    assert [r.subject_id for r in rows()] == listed == [p.pk for p in people[:10]]
    assert {r.request_id for r in rows()} == {rows()[0].request_id}
    assert rows()[0].query == "page_size=10&search=person"
    assert all(r.sensitive_fields == [] for r in rows())  # lists carry no sensitive fields


def test_an_empty_list_still_leaves_a_trace(api_a):
    api_a.get("/api/users/?search=nobody")
    [row] = rows()
    assert row.subject is None and row.action == "read" and row.query == "search=nobody"


@pytest.mark.parametrize("method,body,action,status", [
    ("patch", {"first_name": "J"}, "update", 200),
    ("put", {"username": "joost", "roles": ["CLIENT"], "bsn": BSN}, "update", 200),
    ("delete", None, "delete", 204),
])
def test_writes_are_logged(api_a, joost, method, body, action, status):
    getattr(api_a, method)(f"/api/users/{joost.pk}/", body, format="json")
    [row] = rows()
    assert (row.subject, row.action, row.status) == (joost, action, status)


def test_create_is_logged_with_the_new_person(api_a):
    response = api_a.post("/api/users/", {"username": "lisa", "roles": ["CLIENT"],
                                          "bsn": "123456782"}, format="json")
    [row] = rows()
    assert row.subject_id == response.json()["id"] and row.action == "create"
    assert row.sensitive_fields == ["bsn"]


def test_refusals_are_logged_with_their_result(api_a, org_a, org_b):
    admin = make_person(org_a, "boss", "ADMINISTRATOR")
    foreign = make_person(org_b, "someone")
    api_a.delete(f"/api/users/{admin.pk}/")
    api_a.get(f"/api/users/{foreign.pk}/")
    api_a.post("/api/users/", {"username": "x"}, format="json")
    api_a.get(f"/api/users/{foreign.pk}/")
    [first] = rows()  # the refusal that reached a person is a row of its own
    assert (first.subject, first.status, first.action) == (admin, 403, "delete")
    # Those that reached nobody are counted per actor, resource, action, status and minute.
    counts = {(r.resource, r.action, r.status): r.count for r in AccessRefusal.objects.all()}
    assert counts == {("users", "read", 404): 2, ("users", "create", 400): 1}


def test_a_refused_token_cannot_flood_the_log(org_a, joost):
    no_grants = make_app(org_a, username="nothing", grants=[])
    client = client_for(org_a, issue_token(no_grants).token)
    for _ in range(30):
        assert client.get(f"/api/users/{joost.pk}/").status_code == 403
    assert rows() == []
    [counter] = AccessRefusal.objects.all()
    assert (counter.actor, counter.status, counter.count) == (no_grants, 403, 30)


def test_unauthenticated_requests_write_nothing(anon_a, joost):
    anon_a.get(f"/api/users/{joost.pk}/")
    assert rows() == []


def test_the_log_cannot_be_altered(api_a, joost):
    api_a.get(f"/api/users/{joost.pk}/")
    [row] = rows()
    row.status = 500
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.filter(pk=row.pk).update(status=500)
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.filter(pk=row.pk).delete()
    row.refresh_from_db()
    assert row.status == 200


def test_access_log_api_needs_the_audit_grant(org_a, joost):
    no_audit = make_app(org_a, username="x", grants=[Grant.USERS_READ])
    response = client_for(org_a, issue_token(no_audit).token).get("/api/access-log/")
    assert response.status_code == 403 and "'audit'" in response.json()["detail"]


def test_access_log_api(api_a, org_a, org_b, joost):
    other = make_person(org_a, "other")
    api_a.get(f"/api/users/{joost.pk}/")
    api_a.get(f"/api/users/{other.pk}/")
    foreign_app = make_app(org_b)
    foreign_person = make_person(org_b, "foreign")
    client_for(org_b, issue_token(foreign_app).token).get(f"/api/users/{foreign_person.pk}/")

    body = api_a.get(f"/api/access-log/?subject={joost.pk}").json()
    assert [e["subject"] for e in body["results"]] == [joost.pk]
    assert body["results"][0]["sensitive_fields"] == ["bsn", "date_of_birth"]
    everything = api_a.get("/api/access-log/?resource=users").json()["results"]
    assert {e["subject"] for e in everything} == {joost.pk, other.pk}  # never organisation B's
    assert api_a.get("/api/access-log/?since=yesterday").status_code == 400
    assert api_a.get("/api/access-log/?subject_id=1").status_code == 400
    # Reading the log is itself a read of those persons' data.
    assert AccessLogEntry.objects.filter(resource="access-log", subject=joost).exists()


def test_administrator_exports_one_persons_log(api_a, org_a, joost):
    api_a.get(f"/api/users/{joost.pk}/")
    api_a.patch(f"/api/users/{joost.pk}/", {"first_name": "J"}, format="json")
    api_a.get(f"/api/users/{make_person(org_a, 'other').pk}/")
    _, device = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(device))

    response = client.get(f"/admin/accounts/user/{joost.pk}/access-log.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["person"]["username"] == "joost"
    # The export is itself an access of the person's data, and is in it.
    assert [(e["action"], e["actor_username"], e["resource"]) for e in data["entries"]] == [
        ("read", "api", "users"), ("update", "api", "users"),
        ("read", "beheer", "admin:access-log")]

    response = client.get(f"/admin/accounts/user/{joost.pk}/access-log.csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["action"] for r in table] == ["read", "update", "read", "read"]
    assert table[0]["sensitive_fields"] == "bsn date_of_birth"


def test_admin_shows_the_log_read_only(api_a, org_a, joost):
    api_a.get(f"/api/users/{joost.pk}/")
    row = rows()[0]
    _, device = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    assert client.get("/admin/audit/accesslogentry/").status_code == 200
    assert client.get(f"/admin/audit/accesslogentry/{row.pk}/change/").status_code == 200
    client.post(f"/admin/audit/accesslogentry/{row.pk}/change/", {"status": 500})
    assert client.post(f"/admin/audit/accesslogentry/{row.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/accesslogentry/add/").status_code == 403
    row.refresh_from_db()
    assert row.status == 200 and AccessLogEntry.objects.count() == 1


@pytest.mark.parametrize("query", [f"subject={2**70}", "actor=0", "status=99", "status=x",
                                   "resource="])
def test_access_log_filters_are_bounded(api_a, query):
    response = api_a.get(f"/api/access-log/?{query}")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("update_first", [True, False])
def test_a_bulk_request_logs_each_person_as_what_was_done_to_them(api_a, org_a, update_first):
    """One bulk request that updates one person and creates two: each row says which, in
    whichever order the items come."""
    make_person(org_a, "joost", external_id="e-joost")
    update = {"external_id": "e-joost", "username": "joost", "roles": ["CLIENT"],
              "first_name": "Joost"}
    creates = [{"external_id": f"e-{n}", "username": n, "roles": ["CLIENT"]}
               for n in ("lisa", "sam")]
    items = [update, *creates] if update_first else [*creates, update]
    answer = api_a.post("/api/users/bulk/", {"items": items}, format="json")
    assert answer.status_code == 200, answer.content
    logged = {r.subject.username: r.action for r in rows() if r.subject_id}
    assert logged == {"joost": "update", "lisa": "create", "sam": "create"}


def test_a_bulk_request_that_only_updates_logs_only_its_people(api_a, org_a):
    make_person(org_a, "joost", external_id="e-joost")
    item = {"external_id": "e-joost", "username": "joost", "roles": ["CLIENT"],
            "first_name": "Joost"}
    assert api_a.post("/api/users/bulk/", {"items": [item]}, format="json").status_code == 200
    assert [(r.subject.username, r.action) for r in rows()] == [("joost", "update")]

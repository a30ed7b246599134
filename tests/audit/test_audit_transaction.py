"""The access log is part of the answer: a write commits with its entry or not at all, a
read shows nothing it could not log; every action is logged as what it did."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection

from omgeving.accounts.models import Role, User
from omgeving.audit.models import AccessLogEntry
from omgeving.network.models import CareStatus, ClientCareStatus, Invitation

from ..helpers import admin_of, log_in, make_person, totp_code

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def on(org_a):
    org_a.feature_care_status = org_a.feature_invitations = True
    org_a.save()
    return org_a


@pytest.fixture
def failing_log():
    """Every access-log INSERT fails in the database driver, as a full disk or a lost
    connection would make it."""
    table = AccessLogEntry._meta.db_table

    def fail(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and table in sql:
            raise DatabaseError("injected: the access log cannot be written")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield


def _no_raise(client):
    client.raise_request_exception = False
    return client


def test_a_create_without_its_log_entry_is_not_committed(api_a, failing_log):
    count = User.objects.count()
    response = _no_raise(api_a).post("/api/users/", {"username": "joost", "roles": ["CLIENT"],
                                                     "bsn": "111222333"}, format="json")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert "joost" not in response.content.decode()
    assert User.objects.count() == count


def test_an_update_without_its_log_entry_is_not_committed(api_a, org_a, failing_log):
    joost = make_person(org_a, "joost")
    response = _no_raise(api_a).patch(f"/api/users/{joost.pk}/", {"first_name": "Changed"},
                                      format="json")
    assert response.status_code == 500
    joost.refresh_from_db()
    assert joost.first_name == ""


def test_a_custom_action_without_its_log_entry_is_not_committed(api_a, on, failing_log):
    joost = make_person(on, "joost")
    status = CareStatus.objects.create(organization=on, name="In care")
    response = _no_raise(api_a).post(f"/api/users/{joost.pk}/care-status/",
                                     {"status": status.pk}, format="json")
    assert response.status_code == 500
    assert not ClientCareStatus.objects.exists()


def test_a_read_that_cannot_be_logged_shows_nothing(api_a, org_a, failing_log):
    joost = make_person(org_a, "joost", bsn="111222333")
    client = _no_raise(api_a)
    for path in (f"/api/users/{joost.pk}/", "/api/users/"):
        response = client.get(path)
        assert response.status_code == 500
        assert b"joost" not in response.content and b"111222333" not in response.content


def test_custom_actions_are_logged_as_what_they_do(api_a, on):
    joost = make_person(on, "joost")
    status = CareStatus.objects.create(organization=on, name="In care")
    assert api_a.post(f"/api/users/{joost.pk}/care-status/", {"status": status.pk},
                      format="json").status_code == 201
    response = api_a.post("/api/invitations/", {
        "kind": "network", "client": joost.pk, "email": "ans@example.org",
        "first_name": "Ans", "authorisation": "GUARDIAN"}, format="json")
    assert response.status_code == 201, response.content
    token = response.json()["token"]
    assert api_a.post("/api/invitations/accept/", {"token": token},
                      format="json").status_code == 200
    second = api_a.post("/api/invitations/", {
        "kind": "network", "client": joost.pk, "email": "piet@example.org",
        "first_name": "Piet", "authorisation": "EXTERNAL"}, format="json").json()
    assert api_a.post(f"/api/invitations/{second['id']}/revoke/").status_code == 200
    logged = [(e.resource, e.method, e.action) for e in
              AccessLogEntry.objects.filter(subject=joost).order_by("id")]
    assert logged == [
        ("care-status", "POST", "update"),
        ("invitations", "POST", "create"),   # the invitation
        ("invitations", "POST", "create"),   # accepting: a new person and a relation
        ("invitations", "POST", "create"),
        ("invitations", "POST", "update"),   # revoking
    ]
    ans = User.objects.get(email="ans@example.org")
    assert AccessLogEntry.objects.filter(subject=ans, action="create").exists()
    assert Invitation.objects.get(pk=second["id"]).state == "revoked"


def test_group_reads_are_logged(api_a, org_a):
    joost = make_person(org_a, "joost")
    karin = make_person(org_a, "karin", Role.COUNSELOR)
    group = api_a.post("/api/groups/", {"name": "Team Noord"}, format="json").json()
    api_a.post("/api/group-members/", {"group": group["id"], "user": karin.pk}, format="json")
    api_a.post("/api/group-clients/", {"group": group["id"], "client": joost.pk},
               format="json")
    before = AccessLogEntry.objects.count()
    assert api_a.get("/api/groups/").status_code == 200
    read = AccessLogEntry.objects.order_by("id")[before:]
    assert {(e.resource, e.action, e.subject_id) for e in read} == {
        ("groups", "read", joost.pk), ("groups", "read", karin.pk)}


def test_admin_views_of_a_person_are_logged(org_a):
    joost = make_person(org_a, "joost", bsn="111222333")
    admin, device = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    assert client.get(f"/admin/accounts/user/{joost.pk}/change/").status_code == 200
    [entry] = AccessLogEntry.objects.filter(subject=joost)
    assert (entry.actor, entry.resource, entry.action) == (admin, "admin:users", "read")
    assert entry.sensitive_fields == ["bsn"]


def test_a_write_refused_after_its_change_leaves_nothing_but_the_count(api_a, monkeypatch):
    """A refusal that comes after the service wrote (here: the answer cannot be made, an
    APIException injected into the serializer) rolls the whole write back; the log holds no
    row for a person who does not exist, and the refusal is counted."""
    from rest_framework.exceptions import PermissionDenied

    from omgeving.accounts.api.serializers import UserSerializer
    from omgeving.audit.models import AccessRefusal

    def refuse(self, instance):
        raise PermissionDenied("injected: refused after the write", code="missing_grant")

    monkeypatch.setattr(UserSerializer, "to_representation", refuse)
    logged = AccessLogEntry.objects.count()
    response = api_a.post("/api/users/", {"username": "joost", "roles": ["CLIENT"]},
                          format="json")
    assert response.status_code == 403
    assert not User.objects.filter(username="joost").exists()
    assert AccessLogEntry.objects.count() == logged
    refusal = AccessRefusal.objects.get(resource="users")
    assert (refusal.action, refusal.status, refusal.count) == ("create", 403, 1)

from __future__ import annotations

import pytest

from omgeving.accounts import services
from omgeving.accounts.grants import Grant
from omgeving.accounts.models import Role
from omgeving.tokens.services import issue_token

from ..helpers import client_for, make_app, make_person

pytestmark = pytest.mark.django_db
BSN = "111222333"


def app_with(org, *grants, username="limited"):
    app = make_app(org, username=username, grants=grants)
    return client_for(org, issue_token(app).token)


@pytest.mark.parametrize("method,path,grant", [
    ("get", "/api/users/", "users:read"),
    ("get", "/api/users/{id}/", "users:read"),
    ("post", "/api/users/", "users:write"),
    ("patch", "/api/users/{id}/", "users:write"),
    ("put", "/api/users/{id}/", "users:write"),
    ("delete", "/api/users/{id}/", "users:write"),
])
def test_missing_grant_is_403_naming_it(org_a, method, path, grant):
    person = make_person(org_a, "joost")
    other = "users:write" if grant == "users:read" else "users:read"
    client = app_with(org_a, other)
    response = getattr(client, method)(path.format(id=person.pk), {}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "missing_grant" and f"'{grant}'" in body["detail"]
    person.refresh_from_db()
    assert person.is_active


def test_bsn_absent_without_the_grant(org_a):
    person = make_person(org_a, "joost", bsn=BSN)
    client = app_with(org_a, Grant.USERS_READ, Grant.USERS_WRITE)
    body = client.get(f"/api/users/{person.pk}/").json()
    assert "bsn" not in body and body["username"] == "joost"
    response = client.patch(f"/api/users/{person.pk}/", {"bsn": "123456782"}, format="json")
    assert response.status_code == 403
    assert (response.json()["code"], response.json()["detail"]) == (
        "missing_grant", "This application lacks the grant 'bsn' needed to write 'bsn'.")
    response = client.post("/api/users/", {"username": "x", "roles": ["CLIENT"],
                                            "bsn": "123456782"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "missing_grant"
    person.refresh_from_db()
    assert person.bsn == BSN
    # A write without the field leaves the stored BSN alone.
    assert client.patch(f"/api/users/{person.pk}/", {"first_name": "J"},
                        format="json").status_code == 200
    person.refresh_from_db()
    assert person.bsn == BSN


def test_bsn_present_with_the_grant(org_a):
    person = make_person(org_a, "joost", bsn=BSN)
    client = app_with(org_a, Grant.USERS_READ, Grant.BSN)
    assert client.get(f"/api/users/{person.pk}/").json()["bsn"] == BSN


def test_me(org_a):
    client = app_with(org_a, Grant.USERS_READ, Grant.AUDIT)
    body = client.get("/api/me/").json()
    assert body["username"] == "limited" and body["organization"] == "org-a"
    assert body["roles"] == ["APPLICATION"] and body["grants"] == ["users:read", "audit"]
    assert body["token"]["exp"] > body["token"]["orig_iat"]


def test_me_needs_no_grant(org_a):
    assert app_with(org_a).get("/api/me/").status_code == 200


def test_grants_are_cleaned_and_only_for_applications(org_a):
    app = make_app(org_a, username="x", grants=["audit", "nonsense", "users:read", "audit"])
    assert app.grants == ["users:read", "audit"]
    person = services.create_user(organization=org_a, username="p", roles=[Role.CLIENT],
                                  grants=["users:read"])
    assert person.grants == []


def test_grant_changes_apply_to_live_tokens(org_a):
    app = make_app(org_a, username="x", grants=[Grant.USERS_READ])
    client = client_for(org_a, issue_token(app).token)
    assert client.get("/api/users/").status_code == 200
    app.grants = []
    services.save_user(app)
    assert client.get("/api/users/").status_code == 403

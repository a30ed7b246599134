"""Organisation A's token sent to organisation B, for every operation in the schema → 401."""

from __future__ import annotations

import re

import pytest

from omgeving.tokens.services import issue_token

from ..helpers import client_for, make_person
from .schema_util import committed_schema, is_authenticated, operations

pytestmark = pytest.mark.django_db

AUTHENTICATED = [
    (path, method) for path, method, op in operations(committed_schema())
    if is_authenticated(op)
]
TOKEN_ENDPOINTS = [
    path for path, method, op in operations(committed_schema()) if path.startswith(
        ("/api/token-verify/", "/api/token-refresh/", "/api/api-token-refresh/"))
]


def test_matrix_is_not_empty():
    assert ("/api/users/", "get") in AUTHENTICATED
    assert ("/api/users/{id}/", "delete") in AUTHENTICATED


@pytest.mark.parametrize("path,method", AUTHENTICATED)
def test_token_of_a_is_refused_at_b(path, method, org_a, org_b, app_a):
    victim = make_person(org_b, "victim", external_id="B-1")
    token_a = issue_token(app_a).token
    url = re.sub(r"\{[a-z_]+\}", str(victim.pk), path)
    response = getattr(client_for(org_b, token_a), method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_wrong_organization"
    victim.refresh_from_db()
    assert victim.is_active and victim.username == "victim"


@pytest.mark.parametrize("path", TOKEN_ENDPOINTS)
def test_token_of_a_cannot_be_verified_or_refreshed_at_b(path, org_a, org_b, app_a):
    token_a = issue_token(app_a).token
    response = client_for(org_b).post(path, {"token": token_a}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_wrong_organization"

"""One test per status code the API gives: each is problem+json with a machine code."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from omgeving.accounts.api.views import UserViewSet
from omgeving.tokens.services import issue_token

from ..helpers import client_for, make_app, make_person

pytestmark = pytest.mark.django_db
KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert KEYS <= set(body)
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:omgeving:problem:{code}"
    return body


def test_400(api_a):
    body = assert_problem(api_a.post("/api/users/", {"roles": ["CLIENT"]}, format="json"),
                          400, "required")
    assert body["errors"] == [{"field": "username", "code": "required",
                               "detail": "This field is required."}]


def test_400_malformed_json(api_a):
    response = api_a.post("/api/users/", "{not json", content_type="application/json")
    assert_problem(response, 400, "parse_error")


def test_401(anon_a):
    response = anon_a.get("/api/users/")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'JWT realm="api"'


def test_403(api_a, org_a):
    admin = make_person(org_a, "boss", "ADMINISTRATOR")
    assert_problem(api_a.delete(f"/api/users/{admin.pk}/"), 403, "user_not_manageable")
    reader = make_app(org_a, username="reader", grants=["users:read"])
    client = client_for(org_a, issue_token(reader).token)
    assert_problem(client.post("/api/users/", {}, format="json"), 403, "missing_grant")


def test_404(api_a):
    assert_problem(api_a.get("/api/users/999999/"), 404, "not_found")
    assert_problem(api_a.get("/api/no-such-thing/"), 404, "not_found")
    assert_problem(api_a.get("/api/users/abc/"), 404, "not_found")


def test_405(api_a):
    assert_problem(api_a.delete("/api/users/"), 405, "method_not_allowed")
    assert_problem(api_a.get("/api/token-auth/"), 405, "method_not_allowed")


def test_405_for_options_too(api_a):
    assert_problem(api_a.options("/api/users/"), 405, "method_not_allowed")


def test_406(api_a):
    assert_problem(api_a.get("/api/users/", HTTP_ACCEPT="text/csv"), 406, "not_acceptable")


def test_409(api_a, org_a):
    make_person(org_a, "joost")
    body = assert_problem(api_a.post("/api/users/", {"username": "joost", "roles": ["CLIENT"]},
                                     format="json"), 409, "username_taken")
    assert body["errors"][0]["field"] == "username"


def test_415(api_a):
    response = api_a.post("/api/users/", "username=x", content_type="text/plain")
    assert_problem(response, 415, "unsupported_media_type")


def test_500_never_leaks_a_traceback(org_a, app_a, monkeypatch, caplog):
    from omgeving.tokens.services import issue_token

    def explode(self, request, *args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(UserViewSet, "list", explode)
    client = APIClient(HTTP_HOST="org-a.localhost", raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"JWT {issue_token(app_a).token}")
    response = client.get("/api/users/")
    body = assert_problem(response, 500, "server_error")
    assert "secret" not in response.content.decode() and "Traceback" not in str(body)
    assert "secret internal detail" in caplog.text  # logged for the operator


def test_500_outside_a_view_is_problem_json(org_a, monkeypatch):
    from omgeving.tenancy import middleware

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(middleware, "request_context", explode)
    client = APIClient(HTTP_HOST="org-a.localhost", raise_request_exception=False)
    assert_problem(client.get("/api/users/"), 500, "server_error")

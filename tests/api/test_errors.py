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


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_codes_title_is_its_registered_text_in_the_language_asked(language):
    """The one place every problem is built: its title is the code's text in errors.CODES,
    translated. (tests/error_codes.py checks the same of every problem the suite receives.)"""
    from django.utils import translation

    from omgeving.api.problems import problem
    from omgeving.errors import CODES

    with translation.override(language):
        for code, (status, text) in CODES.items():
            assert problem(status, code=code, detail="x")["title"] == str(text), code
        if language == "nl":
            assert problem(401, code="not_authenticated", detail="x")["title"] == (
                "Geen token: stuur `Authorization: JWT <token>`.")


FIRST_MISTAKES = [
    # (what a newcomer sends, the code)
    ({"HTTP_AUTHORIZATION": ""}, "not_authenticated"),
    ({"HTTP_AUTHORIZATION": "Token abc"}, "not_authenticated"),
    ({"HTTP_AUTHORIZATION": "eyJhbGciOiJIUzI1NiJ9.e30.abc"}, "not_authenticated"),  # bare
]


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_newcomers_first_mistakes_are_answered_in_their_language_with_the_way_out(
        org_a, app_a, language):
    from django.utils import translation

    from omgeving.errors import CODES

    from ..helpers import APP_PASSWORD

    client = APIClient(HTTP_HOST="org-a.localhost", HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        registered = {code: str(text) for code, (_, text) in CODES.items()}
    for headers, code in FIRST_MISTAKES:
        body = assert_problem(client.get("/api/users/", **headers), 401, code)
        assert body["detail"] == body["title"] == registered[code]
        assert "JWT <token>" in body["detail"]
    wrong = client.post("/api/token-auth/", {"username": "api", "password": "nope"},
                        format="json")
    body = assert_problem(wrong, 400, "invalid_credentials")
    assert body["detail"] == registered["invalid_credentials"] == body["title"]
    token = client.post("/api/token-auth/", {"username": "api", "password": APP_PASSWORD},
                        format="json").json()["token"]
    plain = client.post("/api/users/", "username=x", content_type="text/plain",
                        HTTP_AUTHORIZATION=f"JWT {token}")
    body = assert_problem(plain, 415, "unsupported_media_type")
    assert "Content-Type: application/json" in body["title"]
    host = APIClient(HTTP_HOST="bad_host!", HTTP_ACCEPT_LANGUAGE=language).get("/api/users/")
    body = assert_problem(host, 400, "invalid_host")
    assert body["detail"] == registered["invalid_host"] and "Host" in body["detail"]

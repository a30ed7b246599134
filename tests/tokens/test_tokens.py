from __future__ import annotations

import time
from unittest import mock

import jwt
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from omgeving.accounts import services as accounts
from omgeving.accounts.models import LoginThrottle, Role
from omgeving.tokens import services as tokens

from ..helpers import APP_PASSWORD, client_for, make_app, make_person

pytestmark = pytest.mark.django_db
INVALID = "Unable to log in with the provided credentials."  # errors.CODES


def obtain(org, username="api", password=APP_PASSWORD, path="/api/token-auth/", fmt="json"):
    return client_for(org).post(path, {"username": username, "password": password}, format=fmt)


@pytest.mark.parametrize("path", ["/api/token-auth/", "/api/api-token-auth/"])
@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_obtain_token(org_a, app_a, path, fmt):
    response = obtain(org_a, path=path, fmt=fmt)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "JWT" and body["expires_in"] == 300
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 300
    assert claims["user_id"] == app_a.pk and claims["username"] == "api"
    assert claims["org"] == "org-a"
    assert claims["iss"] == claims["aud"] == "org-a.localhost"
    assert claims["orig_iat"] == claims["iat"] and claims["ver"] == 1
    assert len(claims["jti"]) == 32
    assert jwt.get_unverified_header(body["token"])["alg"] == "HS256"


def test_obtain_token_form_encoded(org_a, app_a):
    response = client_for(org_a).post(
        "/api/token-auth/", f"username=api&password={APP_PASSWORD}",
        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200


def _refused_cases(org_a, org_b):
    make_app(org_b, username="other-org-app")
    inactive = make_app(org_a, username="inactive")
    accounts.deactivate_user(inactive)
    accounts.create_user(organization=org_a, username="counselor", roles=[Role.COUNSELOR],
                         password=APP_PASSWORD)
    accounts.create_user(organization=org_a, username="admin", roles=[Role.ADMINISTRATOR],
                         password=APP_PASSWORD)
    make_person(org_a, "no-password")
    return [
        ("api", "wrong-password"),  # wrong password
        ("nobody", APP_PASSWORD),  # unknown user
        ("inactive", APP_PASSWORD),  # deactivated
        ("counselor", APP_PASSWORD),  # not an Application user
        ("admin", APP_PASSWORD),  # administrator
        ("other-org-app", APP_PASSWORD),  # user of another organisation
        ("no-password", APP_PASSWORD),  # person without a usable password
    ]


def test_every_refusal_looks_the_same(org_a, org_b, app_a):
    bodies = set()
    for username, password in _refused_cases(org_a, org_b):
        LoginThrottle.objects.all().delete()  # each case on its own, below the limits
        response = obtain(org_a, username, password)
        assert response.status_code == 400, username
        body = response.json()
        assert body["detail"] == INVALID and body["code"] == "invalid_credentials"
        bodies.add(response.content)
    assert len(bodies) == 1


def test_every_refusal_verifies_exactly_one_password_hash(org_a, org_b, app_a):
    """No timing shortcut: unknown users and users without a password cost one hash too."""
    from django.contrib.auth.hashers import MD5PasswordHasher

    cases = _refused_cases(org_a, org_b)
    for username, password in cases + [("api", APP_PASSWORD)]:
        LoginThrottle.objects.all().delete()
        with mock.patch.object(MD5PasswordHasher, "verify", autospec=True,
                               side_effect=MD5PasswordHasher.verify) as verify:
            obtain(org_a, username, password)
        assert verify.call_count == 1, username


def test_missing_fields_are_named(org_a):
    response = client_for(org_a).post("/api/token-auth/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert sorted(e["field"] for e in body["errors"]) == ["password", "username"]
    assert {e["code"] for e in body["errors"]} == {"required"}


def test_unknown_body_field_rejected(org_a, app_a):
    response = client_for(org_a).post(
        "/api/token-auth/", {"username": "api", "password": APP_PASSWORD, "pasword": "x"},
        format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "pasword", "code": "unknown_field", "detail": "Unknown field."}


def test_token_grants_access_and_expires_after_five_minutes(org_a, app_a):
    with time_machine.travel(1_900_000_000, tick=False) as traveller:
        token = obtain(org_a).json()["token"]
        client = client_for(org_a, token)
        assert client.get("/api/users/").status_code == 200
        traveller.shift(300 + 9)  # within the 10 s leeway
        assert client.get("/api/users/").status_code == 200
        traveller.shift(2)
        response = client.get("/api/users/")
        assert response.status_code == 401
        assert response.json()["code"] == "token_expired"
        assert response["WWW-Authenticate"] == 'JWT realm="api"'
        # The seed's refresh: username and password again.
        response = client_for(org_a).post(
            "/api/token-refresh/", {"username": "api", "password": APP_PASSWORD}, format="json")
        assert response.status_code == 200
        assert client_for(org_a, response.json()["token"]).get("/api/users/").status_code == 200


@pytest.mark.parametrize("path", ["/api/token-refresh/", "/api/api-token-refresh/"])
def test_refresh_with_a_valid_token_keeps_orig_iat(org_a, app_a, path):
    with time_machine.travel(1_900_000_000, tick=False) as traveller:
        token = obtain(org_a).json()["token"]
        traveller.shift(200)
        response = client_for(org_a).post(path, {"token": token}, format="json")
        assert response.status_code == 200
        new = jwt.decode(response.json()["token"], options={"verify_signature": False})
        assert new["orig_iat"] == 1_900_000_000 and new["iat"] == 1_900_000_200


def test_refresh_by_token_is_capped(org_a, app_a, settings):
    with time_machine.travel(1_900_000_000, tick=False) as traveller:
        token = obtain(org_a).json()["token"]
        for _ in range(settings.JWT_REFRESH_CAP // 240):
            traveller.shift(240)
            response = client_for(org_a).post("/api/token-refresh/", {"token": token},
                                              format="json")
            assert response.status_code == 200
            token = response.json()["token"]
        traveller.shift(240)
        response = client_for(org_a).post("/api/token-refresh/", {"token": token}, format="json")
        assert response.status_code == 401
        assert response.json()["code"] == "refresh_expired"


def test_refresh_with_expired_token_refused(org_a, app_a):
    with time_machine.travel(1_900_000_000, tick=False) as traveller:
        token = obtain(org_a).json()["token"]
        traveller.shift(400)
        response = client_for(org_a).post("/api/token-refresh/", {"token": token}, format="json")
        assert response.status_code == 401 and response.json()["code"] == "token_expired"


def test_refresh_by_password_refusals_match_token_auth(org_a, org_b, app_a):
    for username, password in _refused_cases(org_a, org_b):
        LoginThrottle.objects.all().delete()
        response = client_for(org_a).post(
            "/api/token-refresh/", {"username": username, "password": password}, format="json")
        assert response.status_code == 400
        assert response.json()["detail"] == INVALID


@pytest.mark.parametrize("body,code", [
    ({}, "required"),  # both fields missing: the code they share
    ({"username": "api"}, "required"),
    ({"token": "x", "username": "api", "password": "y"}, "ambiguous_credentials"),
])
def test_refresh_body_errors(org_a, body, code):
    response = client_for(org_a).post("/api/token-refresh/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == code


def test_verify(org_a, app_a):
    token = obtain(org_a).json()["token"]
    response = client_for(org_a).post("/api/token-verify/", {"token": token}, format="json")
    assert response.status_code == 200
    assert response.json()["claims"]["user_id"] == app_a.pk
    response = client_for(org_a).post("/api/token-verify/", {"token": token + "x"},
                                      format="json")
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def test_token_of_another_organisation_is_refused(org_a, org_b, app_a, app_b):
    token_b = obtain(org_b).json()["token"]
    response = client_for(org_a, token_b).get("/api/users/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_wrong_organization"
    response = client_for(org_a).post("/api/token-verify/", {"token": token_b}, format="json")
    assert response.json()["code"] == "token_wrong_organization"


def test_forged_claims_are_refused(org_a, app_a, settings):
    """A token with org A's claims but another key (e.g. org B's, or the bare secret)."""
    claims = jwt.decode(obtain(org_a).json()["token"], options={"verify_signature": False})
    for key in (settings.SECRET_KEY, "a-guessed-key-of-sufficient-length-0123"):
        forged = jwt.encode(claims, key, algorithm="HS256")
        response = client_for(org_a, forged).get("/api/users/")
        assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def test_algorithm_is_pinned(org_a, app_a):
    claims = jwt.decode(obtain(org_a).json()["token"], options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    hs512 = jwt.encode(claims, "k" * 64, algorithm="HS512")
    for token in (unsigned, hs512):
        response = client_for(org_a, token).get("/api/users/")
        assert response.status_code == 401 and response.json()["code"] == "token_invalid"


@pytest.mark.parametrize("header,code", [
    (None, "not_authenticated"),
    ("Basic dXNlcjpwYXNz", "not_authenticated"),
    ("JWT", "token_invalid"),
    ("JWT a b", "token_invalid"),
    ("JWT not-a-token", "token_invalid"),
])
def test_bad_authorization_headers(org_a, header, code):
    client = client_for(org_a)
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/users/")
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"] == 'JWT realm="api"'


def test_bearer_prefix_accepted(org_a, app_a):
    token = obtain(org_a).json()["token"]
    client = client_for(org_a)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/users/").status_code == 200


@pytest.mark.parametrize("change", ["password", "deactivate", "role"])
def test_tokens_stop_at_once(org_a, app_a, change):
    token = obtain(org_a).json()["token"]
    client = client_for(org_a, token)
    assert client.get("/api/users/").status_code == 200
    if change == "password":
        accounts.set_password(app_a, "a-new-long-password-3")
    elif change == "deactivate":
        accounts.deactivate_user(app_a)
    else:  # an administrator turned it into an ordinary person
        accounts.update_user(app_a, roles=[Role.COUNSELOR])
    response = client.get("/api/users/")
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"


def test_checking_a_token_costs_one_query(org_a, app_a):
    token = tokens.issue_token(app_a).token
    with CaptureQueriesContext(connection) as queries:
        tokens.authenticate_token(token, org_a)
    assert len(queries) == 1


def test_expiry_uses_the_clock_with_bounded_leeway(settings, org_a, app_a):
    assert settings.JWT_LEEWAY <= 30
    issued = tokens.issue_token(app_a)
    claims = tokens.decode_token(issued.token, org_a)
    assert abs(claims["iat"] - time.time()) < 5


def test_the_token_query_loads_the_user_and_the_organisation_as_the_orm_would(org_a, org_b,
                                                                              app_a):
    """The hand-written query behind every API call (tokens._TokenQuery), built afresh: one
    query, and the user and organisation it gives equal what the ORM reads field by field
    (the process keeps one per database, so without clearing it a test could be reading one
    built before)."""
    from omgeving.accounts.models import User
    from omgeving.tenancy.models import Organization

    accounts.change_grants(app_a, add=["users:read", "bsn"])
    tokens._token_queries.clear()
    claims = tokens.decode_token(tokens.issue_token(app_a).token, org_a)
    with CaptureQueriesContext(connection) as queries:
        user = tokens.user_for_claims(claims, org_a)
    assert len(queries) == 1
    stored = User.objects.get(pk=app_a.pk)
    for name in tokens.USER_FIELDS:
        assert getattr(user, name) == getattr(stored, name), name
    organisation = Organization.objects.get(pk=org_a.pk)
    for field in Organization._meta.concrete_fields:
        assert getattr(user.organization, field.attname) == getattr(
            organisation, field.attname), field.name
    assert tokens._user_with_organization(app_a.pk, org_b) is None  # A's user, asked at B
    assert tokens._user_with_organization(app_a.pk + 1000, org_a) is None


def test_the_token_query_reads_only_what_the_request_needs(org_a, app_a):
    """Every API call loads its Application user: USER_FIELDS only, never the password hash."""
    tokens._token_queries.clear()
    claims = tokens.decode_token(tokens.issue_token(app_a).token, org_a)
    user = tokens.user_for_claims(claims, org_a)
    loaded = {f.attname for f in type(user)._meta.concrete_fields} - user.get_deferred_fields()
    assert loaded == set(tokens.USER_FIELDS)
    assert "password" in user.get_deferred_fields()


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_application": False}])
def test_a_token_stops_when_its_user_changes_behind_the_services(org_a, app_a, change):
    """Changed by SQL (no token version bumped): the next call still refuses the token."""
    from omgeving.accounts.models import User

    client = client_for(org_a, tokens.issue_token(app_a).token)
    assert client.get("/api/users/").status_code == 200
    User.objects.filter(pk=app_a.pk).update(**change)
    answer = client.get("/api/users/")
    assert answer.status_code == 401 and answer.json()["code"] == "token_revoked"


def test_a_token_of_a_deleted_user_is_revoked(org_a, app_a):
    from omgeving.accounts.models import User

    client = client_for(org_a, tokens.issue_token(app_a).token)
    User.objects.filter(pk=app_a.pk).delete()
    answer = client.get("/api/users/")
    assert answer.status_code == 401 and answer.json()["code"] == "token_revoked"


def test_an_organisation_switched_off_behind_the_services_is_gone_at_the_next_call(org_a,
                                                                                   app_a):
    from omgeving.tenancy.models import Organization

    client = client_for(org_a, tokens.issue_token(app_a).token)
    assert client.get("/api/users/").status_code == 200
    Organization.objects.filter(pk=org_a.pk).update(is_active=False)  # no cache cleared
    assert client.get("/api/users/").status_code == 404
    assert client.get("/api/users/").status_code == 404  # and it stays forgotten


@pytest.mark.parametrize("claims", [{"org": "elsewhere"}, {"aud": "elsewhere.example"}])
def test_a_bad_token_naming_another_organisation_says_so(org_a, app_a, claims):
    """A token that fails its check and names another organisation in either claim is
    `token_wrong_organization`, whatever else is wrong with it."""
    body = {**jwt.decode(tokens.issue_token(app_a).token, options={"verify_signature": False}),
            **claims}
    forged = jwt.encode(body, "not-the-key-" * 4, algorithm="HS256")
    answer = client_for(org_a, forged).get("/api/users/")
    assert answer.status_code == 401 and answer.json()["code"] == "token_wrong_organization"


def _signed_as_the_server(org, claims: dict, drop: str | None = None) -> str:
    """A token signed with the organisation's real key: what only a flaw in our own checks
    could let through, since nobody else holds the key."""
    body = {k: v for k, v in claims.items() if k != drop}
    return jwt.encode(body, tokens._key(org), algorithm="HS256")


@pytest.mark.parametrize(("change", "drop", "code"), [
    ({"iss": "elsewhere.example"}, None, "token_invalid"),
    ({"org": "elsewhere"}, None, "token_wrong_organization"),
    ({"exp_after": 3600}, None, "token_invalid"),  # longer-lived than we issue
    ({"orig_iat_after": 60}, None, "token_invalid"),  # a login after the token itself
    *(({}, claim, "token_invalid")
      for claim in ("exp", "iat", "iss", "user_id", "ver", "orig_iat", "jti")),
    ({}, "aud", "token_wrong_organization"),  # no audience: not a token for this host
])
def test_even_a_correctly_signed_token_must_be_one_we_issue(org_a, app_a, change, drop, code):
    claims = jwt.decode(tokens.issue_token(app_a).token, options={"verify_signature": False})
    change = dict(change)  # the parameter is shared by every run of this test in a process
    if "exp_after" in change:
        claims["exp"] = claims["iat"] + change.pop("exp_after")
    if "orig_iat_after" in change:
        claims["orig_iat"] = claims["iat"] + change.pop("orig_iat_after")
    answer = client_for(org_a, _signed_as_the_server(org_a, {**claims, **change}, drop)).get(
        "/api/users/")
    assert answer.status_code == 401 and answer.json()["code"] == code


def test_each_organisation_signs_with_its_own_key(org_a, org_b, app_b):
    """B's claims signed with A's key are refused at B: the keys differ, not only the claims."""
    assert tokens._key(org_a) != tokens._key(org_b)
    claims = jwt.decode(tokens.issue_token(app_b).token, options={"verify_signature": False})
    answer = client_for(org_b, _signed_as_the_server(org_a, claims)).get("/api/users/")
    assert answer.status_code == 401 and answer.json()["code"] == "token_invalid"

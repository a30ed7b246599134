"""The hot path's shortcuts keep every rule (docs/performance.md, "The hot path").

- The organisation of an API call with a token comes from the process's copy and is
  confirmed in the query that loads the token's user: a deactivated organisation, user or
  switched-off feature is refused on the very next call — also when another process changed
  it (here: a plain UPDATE, which no cache hears about).
- The token check is one query; the organisation costs none once known (P3).
- API calls pass the admin's middleware by; the admin keeps its sessions.
- The users list filters `is_active` so that SQLite uses its index.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from omgeving.accounts.models import User
from omgeving.tenancy import services as tenancy_services
from omgeving.tenancy.models import Organization
from omgeving.tenancy.services import create_organization, forget_all
from omgeving.tokens.services import authenticate_token, issue_token

from ..helpers import client_for, make_app, make_person

pytestmark = pytest.mark.django_db


def _warm(api):
    assert api.get("/api/me/").status_code == 200


def _queries(api, path) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        api.get(path)
    return [q["sql"] for q in captured]


def test_the_token_check_is_one_query_for_user_and_organisation(app_a, org_a,
                                                               django_assert_num_queries):
    token = issue_token(app_a).token
    with django_assert_num_queries(1):
        user, _ = authenticate_token(token, org_a)
    assert user == app_a and user.organization.slug == "org-a"


def test_the_organisation_costs_one_query_cold_and_none_once_known(api_a):
    cold = _queries(api_a, "/api/me/")
    warm = _queries(api_a, "/api/me/")
    org_queries = [q for q in cold if 'FROM "tenancy_organization"' in q]
    assert len(org_queries) == 1, cold
    assert len(warm) == len(cold) - 1, (cold, warm)
    assert not any('FROM "tenancy_organization"' in q for q in warm)
    # … yet the warm call read the organisation: joined to the token's user
    assert any('"tenancy_organization"' in q and '"accounts_user"' in q for q in warm)


def test_a_deactivated_organisation_is_refused_on_the_next_call(api_a, org_a, app_a):
    _warm(api_a)
    Organization.objects.filter(pk=org_a.pk).update(is_active=False)  # as another process
    for path, kwargs in (("/api/users/", {}), ("/api/me/", {}), ("/api/", {})):
        response = api_a.get(path, **kwargs)
        assert response.status_code == 404, path
        assert response.json()["code"] == "organization_not_found"
    # a broken token, another scheme, a token refresh: the same 404, not a 401
    Organization.objects.filter(pk=org_a.pk).update(is_active=True)
    _warm(api_a)
    Organization.objects.filter(pk=org_a.pk).update(is_active=False)
    broken = client_for(org_a, "not-a-token")
    assert broken.get("/api/users/").json()["code"] == "organization_not_found"
    other_scheme = client_for(org_a)
    other_scheme.credentials(HTTP_AUTHORIZATION="Basic YTpi")
    assert other_scheme.get("/api/users/").status_code == 404
    refresh = api_a.post("/api/token-refresh/", {"token": issue_token(app_a).token},
                         format="json")
    assert refresh.status_code == 404 and "token" not in refresh.json()


def test_a_deactivated_user_is_refused_on_the_next_call(api_a, app_a):
    _warm(api_a)
    User.objects.filter(pk=app_a.pk).update(is_active=False)  # no token_version bump even
    response = api_a.get("/api/users/")
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"


def test_a_feature_switched_off_elsewhere_is_off_on_the_next_call(api_a, org_a):
    Organization.objects.filter(pk=org_a.pk).update(feature_families=True)
    assert api_a.get("/api/families/").status_code == 200
    Organization.objects.filter(pk=org_a.pk).update(feature_families=False)
    response = api_a.get("/api/families/")
    assert response.status_code == 404 and response.json()["code"] == "feature_disabled"


def test_a_host_whose_organisation_was_replaced_serves_the_new_one(db):
    """An organisation without any history can be deleted and its name taken again."""
    old = create_organization(slug="wissel", name="Old")
    assert client_for(old).get("/api/").status_code == 200  # now known to the process
    old.delete()
    new = create_organization(slug="wissel", name="New")
    new_api = client_for(new, issue_token(make_app(new, "api")).token)
    response = new_api.get("/api/me/")
    assert response.status_code == 200, response.json()
    assert response.json()["organization"] == "wissel"
    forget_all()
    assert client_for(old).get("/api/").status_code == 200  # the process knows… the new one
    tenancy_services._known["wissel"]["id"] = old.pk  # …as the old one again, then:
    people = new_api.get("/api/users/")
    assert people.status_code == 200, people.json()
    assert [p["username"] for p in people.json()["results"]] == ["api"]


def test_api_calls_pass_the_admins_middleware_by(api_a, org_a):
    response = api_a.get("/api/users/")
    assert response.status_code == 200
    request = response.wsgi_request
    assert not hasattr(request, "session") and not hasattr(request, "_messages")
    assert "sessionid" not in response.cookies
    admin_page = client_for(org_a).get("/admin/login/", HTTP_HOST="localhost")
    assert hasattr(admin_page.wsgi_request, "session")
    assert hasattr(admin_page.wsgi_request, "user")


def test_the_users_list_filters_is_active_by_comparison(api_a, org_a):
    """`WHERE "is_active"` would leave SQLite's (organisation, is_active, id) index unused."""
    for i in range(3):
        make_person(org_a, f"p{i}")
    sql = [q for q in _queries(api_a, "/api/users/") if 'FROM "accounts_user"' in q
           and q.upper().startswith("SELECT COUNT")]
    assert sql and all('"accounts_user"."is_active" = ' in q for q in sql), sql
    if connection.vendor == "sqlite":
        query = User.objects.for_organization(org_a).filter(is_active__equals=True).order_by("id")
        compiled, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            plan = " ".join(str(r) for r in cursor.execute(
                f"EXPLAIN QUERY PLAN {compiled}", params).fetchall())
        assert "user_org_active (organization_id=? AND is_active=?)" in plan, plan


def test_the_token_query_loads_what_the_orm_loads(app_a, org_a):
    """The hand-written join converts every value as the ORM does (JSON grants, booleans,
    date-times) on SQLite and PostgreSQL alike."""
    from omgeving.tokens.services import USER_FIELDS, _user_with_organization

    Organization.objects.filter(pk=org_a.pk).update(feature_families=True)
    user = _user_with_organization(app_a.pk, org_a)
    orm = User.objects.for_organization(org_a).select_related("organization").get(pk=app_a.pk)
    assert {f: getattr(user, f) for f in USER_FIELDS} == \
        {f: getattr(orm, f) for f in USER_FIELDS}
    assert isinstance(user.grants, list) and user.has_grant("users:read")
    fields = [f.attname for f in Organization._meta.concrete_fields]
    assert {f: getattr(user.organization, f) for f in fields} == \
        {f: getattr(orm.organization, f) for f in fields}
    assert user.organization.has_feature("families")
    assert _user_with_organization(app_a.pk + 1000, org_a) is None

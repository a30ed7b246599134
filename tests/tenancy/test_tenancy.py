from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from omgeving.accounts.models import User
from omgeving.tenancy.context import request_context
from omgeving.tenancy.models import Organization
from omgeving.tenancy.querysets import UnscopedQueryError
from omgeving.tenancy.services import create_organization, organization_for_host

from ..helpers import client_for, make_person

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slug", ["-a", "a-", "A_b", "a.b", "", "x" * 64, "www", "api"])
def test_slug_must_be_a_free_dns_label(slug):
    with pytest.raises(ValidationError):
        create_organization(slug=slug, name="x")


def test_slug_is_unique(org_a):
    with pytest.raises(ValidationError) as exc:
        create_organization(slug="org-a", name="again")
    assert "slug" in exc.value.error_dict


def test_host_resolution(org_a):
    assert organization_for_host("org-a.localhost:8000", "localhost") == org_a
    assert organization_for_host("ORG-A.localhost.", "localhost") == org_a
    assert organization_for_host("localhost", "localhost") is None
    assert organization_for_host("x.org-a.localhost", "localhost") is None
    assert organization_for_host("org-a.example.org", "localhost") is None
    org_a.is_active = False
    org_a.save()
    assert organization_for_host("org-a.localhost", "localhost") is None


@pytest.mark.parametrize("host", ["nobody.localhost", "localhost"])
def test_api_without_an_organisation_is_404(host, org_a):
    response = client_for(org_a).get("/api/users/", HTTP_HOST=host)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "organization_not_found"


def test_inactive_organisation_is_404(org_a):
    Organization.objects.filter(pk=org_a.pk).update(is_active=False)
    response = client_for(org_a).get("/api/")
    assert response.status_code == 404


def test_foreign_host_is_400_problem(org_a):
    response = client_for(org_a).get("/api/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_host"


def test_unscoped_query_inside_a_request_raises(org_a):
    make_person(org_a, "joost")
    with request_context(org_a):
        with pytest.raises(UnscopedQueryError,
                           match="^User queried without an organisation inside a request$"):
            list(User.objects.all())
        with pytest.raises(UnscopedQueryError):  # one fetch, no len() first
            next(iter(User.objects.all()))
        with pytest.raises(UnscopedQueryError):
            for _ in User.objects.filter(username="joost"):
                pass
        with pytest.raises(UnscopedQueryError):
            User.objects.count()
        with pytest.raises(UnscopedQueryError):
            User.objects.filter(username="joost").exists()
        with pytest.raises(UnscopedQueryError):
            User.objects.filter(username="joost").update(first_name="x")
        assert [u.username for u in User.objects.for_organization(org_a)] == ["joost"]
        assert User.objects.filter(organization=org_a).count() == 1
        assert User.objects.filter(organization=org_a.pk).count() == 1  # an id scopes too
        assert User.objects.filter(organization_id=org_a.pk).count() == 1
        assert User.objects.none().count() == 0


def test_unscoped_query_outside_a_request_runs(org_a):
    make_person(org_a, "joost")
    assert User.objects.count() == 1


def test_scoping_separates_organisations(org_a, org_b):
    make_person(org_a, "same")
    make_person(org_b, "same")
    with request_context(org_a):
        users = list(User.objects.for_organization(org_a))
    assert [u.organization_id for u in users] == [org_a.pk]


def test_related_managers_are_scoped_to_the_request_organisation(org_a, org_b):
    from omgeving.network.models import Group, GroupMember

    counselor_a = make_person(org_a, "c", "COUNSELOR")
    group_a = Group.objects.create(organization=org_a, name="Team")
    GroupMember.objects.create(organization=org_a, group=group_a, user=counselor_a)
    with request_context(org_a):
        assert [m.user_id for m in group_a.members.all()] == [counselor_a.pk]
        with pytest.raises(UnscopedQueryError):  # a prefetch must bring a scoped queryset
            list(Group.objects.for_organization(org_a).prefetch_related("members"))
    with request_context(org_b):  # an instance of A inside B's request finds nothing of A
        assert list(group_a.members.all()) == []


def test_every_way_of_reading_or_writing_is_checked(org_a):
    """iterator, aggregate and delete send SQL too: unscoped they raise inside a request,
    scoped they answer (with positional arguments, as Django's callers pass them)."""
    from django.db.models import Count

    make_person(org_a, "joost")
    make_person(org_a, "ans", "GUARDIAN")
    with request_context(org_a):
        for unscoped in (lambda: list(User.objects.iterator(10)),
                         lambda: User.objects.aggregate(Count("id")),
                         lambda: User.objects.filter(username="ans").delete()):
            with pytest.raises(UnscopedQueryError):
                unscoped()
        scoped = User.objects.for_organization(org_a)
        assert sorted(u.username for u in scoped.iterator(1)) == ["ans", "joost"]
        assert scoped.aggregate(Count("id")) == {"id__count": 2}
        assert scoped.filter(username="ans").delete()[0] == 1


def test_a_filter_on_a_list_of_instances_stays_in_the_request_organisation(org_a, org_b):
    """`user__in=[…]` (as prefetches write it) names instances too: inside B's request, A's
    instances find nothing of A rather than raising or leaking."""
    from omgeving.network.models import Group, GroupMember

    counselor_a = make_person(org_a, "c", "COUNSELOR")
    group_a = Group.objects.create(organization=org_a, name="Team")
    GroupMember.objects.create(organization=org_a, group=group_a, user=counselor_a)
    with request_context(org_a):
        assert GroupMember.objects.filter(user__in=[counselor_a]).count() == 1
        assert GroupMember.objects.filter(user__in=(counselor_a,)).count() == 1
    with request_context(org_b):
        assert list(GroupMember.objects.filter(user__in=[counselor_a])) == []


@pytest.mark.parametrize("active", [True, False])
def test_the_equals_lookup_compares_in_sql(org_a, active):
    """`is_active__equals=` (querysets.Equals, for SQLite's index) is `column = value`."""
    make_person(org_a, "joost")
    make_person(org_a, "gone", is_active=False)
    rows = User.objects.for_organization(org_a).filter(is_active__equals=active)
    assert [u.username for u in rows] == (["joost"] if active else ["gone"])
    sql, params = rows.query.sql_with_params()
    assert '"is_active" = ' in sql and active in params

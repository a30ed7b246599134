"""Generic API test cases every resource inherits (the NetBox / Open Zaak way).

A subclass names its routes, how to make an object in an organisation, a valid body for a
write, and the grant it needs; it then gets, for free:

    ResourceCases   no token → 401, another organisation's token → 401, missing grant → 403,
                    happy path → 200, reads in the access log exactly when the view is over
                    person data, the query count of every GET pinned (tests/query_counts.json;
                    OMGEVING_UPDATE_QUERY_COUNTS=1 rewrites it — review the diff)
    CursorCases     `?cursor=` walks the whole list forwards and back; forged cursors → 400
    DetailCases     another organisation's object → 404
    WriteCases      invalid body → 400, create → 201, read grant only → 403
    FeatureCases    the organisation's feature switched off → 404

tests/api/test_api_contract.py holds the subclasses, and a meta-test there fails when a route in
the URL conf has no subclass (or a named exemption with the test that covers it).
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from rest_framework.mixins import ListModelMixin

from omgeving.accounts.grants import Grant
from omgeving.audit.models import AccessLogEntry
from omgeving.tokens.services import issue_token

from ..helpers import client_for, make_app


class ResourceCases:
    routes: tuple[str, ...] = ()
    list_path: str | None = None  # e.g. "/api/relations/"
    detail_path: str | None = None  # e.g. "/api/relations/{id}/"
    grant: str = ""  # the read grant; writes need the family's write grant
    write_grant: str | None = None
    feature: str | None = None  # an organisation feature the resource needs
    invalid_body = {"this_is_no_field": 1}
    read_adds_rows = False  # reading the list adds to it (the access log)

    # --- what a subclass provides --------------------------------------------------------
    def make(self, org):
        """An object of this resource in `org` (for detail routes)."""
        raise NotImplementedError

    def create_body(self, org) -> dict:
        raise NotImplementedError

    # --- helpers ---------------------------------------------------------------------------
    def enable(self, org):
        if self.feature:
            setattr(org, f"feature_{self.feature}", True)
            org.save()

    def url(self, obj=None) -> str:
        if obj is None:
            return self.list_path
        return re.sub(r"\{[a-z_]+\}", str(obj.pk), self.detail_path)

    def paths(self, org):
        paths = []
        if self.list_path:
            paths.append(self.url())
        if self.detail_path:
            paths.append(self.url(self.make(org)))
        return paths

    def app_client(self, org, grants=tuple(Grant.values), username="generic"):
        return client_for(org, issue_token(make_app(org, username=username, grants=grants)).token)

    def paged(self) -> bool:
        """Whether the list is a paged collection (not a single document such as /me/)."""
        return bool(self.list_path) and issubclass(resolve(self.list_path).func.cls,
                                                   ListModelMixin)

    # --- the generic tests -----------------------------------------------------------------
    @pytest.mark.django_db
    def test_no_token_is_401(self, org_a):
        self.enable(org_a)
        for path in self.paths(org_a):
            response = client_for(org_a).get(path)
            assert response.status_code == 401, path
            assert response.json()["code"] == "not_authenticated"

    @pytest.mark.django_db
    def test_another_organisations_token_is_401(self, org_a, org_b):
        self.enable(org_a)
        self.enable(org_b)
        foreign = issue_token(make_app(org_b, username="foreign")).token
        for path in self.paths(org_a):
            response = client_for(org_a, foreign).get(path)
            assert response.status_code == 401, path
            assert response.json()["code"] == "token_wrong_organization"

    @pytest.mark.django_db
    def test_missing_grant_is_403(self, org_a):
        self.enable(org_a)
        others = [g for g in Grant.values if g not in (self.grant, self.write_grant)]
        client = self.app_client(org_a, grants=others)
        for path in self.paths(org_a):
            response = client.get(path)
            assert response.status_code == 403, path
            assert response.json()["code"] == "missing_grant"
            assert f"'{self.grant}'" in response.json()["detail"]

    @pytest.mark.django_db
    def test_happy_path(self, org_a):
        self.enable(org_a)
        client = self.app_client(org_a)
        for path in self.paths(org_a):
            response = client.get(path)
            assert response.status_code == 200, (path, response.content)


    @pytest.mark.django_db
    def test_reads_are_in_the_access_log(self, org_a):
        """Views over person data log every read with the persons shown; the others (relation
        types, care statuses, …) write nothing."""
        self.enable(org_a)
        client = self.app_client(org_a)
        for path in self.paths(org_a):
            resource = getattr(resolve(path).func.cls, "audit_resource", None)
            before = AccessLogEntry.objects.count()
            assert client.get(path).status_code == 200
            rows = list(AccessLogEntry.objects.order_by("id")[before:])
            if resource is None:
                assert rows == [], path
                continue
            assert rows and {r.resource for r in rows} == {resource}, path
            assert {r.action for r in rows} == {"read"}, path
            assert all(r.subject_id for r in rows), path  # the persons shown, each named

    @pytest.mark.django_db
    def test_query_count_is_pinned(self, org_a):
        self.enable(org_a)
        client = self.app_client(org_a)
        kinds = list(zip(("list", "detail"), self.paths(org_a), strict=False))
        if self.paged():
            kinds.append(("cursor", f"{self.list_path}?cursor="))
        for kind, path in kinds:
            client.get(path)  # warm (the first request of a process may load more)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200
            QUERY_COUNTS.check(f"{type(self).__name__}.{kind}", len(queries))


class CursorCases:
    """For paged lists (a meta-test in test_api_contract names every one that lacks it)."""

    @pytest.mark.django_db
    def test_cursor_pages_walk_the_whole_list_both_ways(self, org_a):
        """`?cursor=` pages the list in id order by keyset: forwards through `next`, back
        through `previous`, the same objects as the page-number list; `count` only with
        `count=true`."""
        self.enable(org_a)
        for _ in range(3):
            self.make(org_a)
        client = self.app_client(org_a)
        listed = client.get(self.list_path, {"page_size": 100}).json()
        expected = sorted(o["id"] for o in listed["results"])
        assert len(expected) >= 3 and listed["count"] == len(expected)
        # Reading the access log adds rows to it (the read is logged): the walk compares the
        # objects up to the last one listed, as newer rows keep coming at the end.
        seen = (lambda ids: [i for i in ids if i <= expected[-1]]) if self.read_adds_rows \
            else (lambda ids: ids)
        forwards, url, last = [], f"{self.list_path}?cursor=&page_size=2", None
        while url and (not forwards or forwards[-1] < expected[-1] or not self.read_adds_rows):
            last = client.get(url).json()
            assert "count" not in last and len(last["results"]) <= 2
            forwards += [o["id"] for o in last["results"]]
            url = last["next"]
        assert seen(forwards) == expected
        backwards, url = [o["id"] for o in last["results"]], last["previous"]
        while url:
            page = client.get(url).json()
            backwards = [o["id"] for o in page["results"]] + backwards
            url = page["previous"]
        assert seen(backwards) == expected
        counted = client.get(self.list_path, {"cursor": "", "count": "true"}).json()
        assert counted["count"] == len(expected) or \
            (self.read_adds_rows and counted["count"] > len(expected))
        for raw in (b"nope", b"p=abc", b"p=1.5", b"p=%00", b"p=99999999999999999999", b"o=-1"):
            bad = client.get(self.list_path, {"cursor": base64.b64encode(raw).decode()})
            assert bad.status_code == 400, (raw, bad.content)
            assert bad.json()["errors"][0]["code"] == "invalid_cursor"


class DetailCases:
    @pytest.mark.django_db
    def test_another_organisations_object_is_404(self, org_a, org_b):
        self.enable(org_a)
        self.enable(org_b)
        theirs = self.make(org_b)
        response = self.app_client(org_a).get(self.url(theirs))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


class WriteCases:
    # Where a created object is read when it is not `detail_path` (a thread's message);
    # neither: it has no address of its own (a goal's progress), and no Location.
    created_path: str | None = None

    @pytest.mark.django_db
    def test_read_grant_only_cannot_write(self, org_a):
        self.enable(org_a)
        reader = self.app_client(org_a, grants=[self.grant], username="reader")
        response = reader.post(self.url(), self.create_body(org_a), format="json")
        assert response.status_code == 403
        assert f"'{self.write_grant}'" in response.json()["detail"]

    @pytest.mark.django_db
    def test_invalid_body_is_400(self, org_a):
        self.enable(org_a)
        response = self.app_client(org_a).post(self.url(), self.invalid_body, format="json")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"

    @pytest.mark.django_db
    def test_create_is_201_with_its_address_and_version(self, org_a):
        self.enable(org_a)
        client = self.app_client(org_a)
        response = client.post(self.url(), self.create_body(org_a), format="json")
        assert response.status_code == 201, response.content
        created = response.json()
        if "version" in created:  # every versioned object shows it, and its ETag says it
            assert response["ETag"] == f'"{created["version"]}"'
        read_at = self.created_path or self.detail_path
        if read_at:
            assert response["Location"] == read_at.replace("{id}", str(created["id"]))
            again = client.get(response["Location"])
            assert again.status_code == 200 and again.json()["id"] == created["id"]
            assert again.get("ETag") == response.get("ETag")
            if "version" in created:
                assert again.json()["version"] == created["version"]


class FeatureCases:
    @pytest.mark.django_db
    def test_feature_switched_off_is_404(self, org_a):
        client = self.app_client(org_a)
        for path in self.paths(org_a):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.json()["code"] == "feature_disabled"


class ActionCases:
    """For POST-only actions (accept, decline, revoke): the same gates as ResourceCases."""

    routes: tuple[str, ...] = ()
    path = ""  # may contain {id}
    grant = ""
    feature: str | None = None
    body: dict = {}

    def make(self, org):
        return None

    def enable(self, org):
        ResourceCases.enable(self, org)

    def app_client(self, org, grants=tuple(Grant.values), username="generic"):
        return ResourceCases.app_client(self, org, grants, username)

    def url(self, org):
        obj = self.make(org)
        return re.sub(r"\{[a-z_]+\}", str(obj.pk), self.path) if obj else self.path

    @pytest.mark.django_db
    def test_no_token_is_401(self, org_a):
        self.enable(org_a)
        response = client_for(org_a).post(self.url(org_a), self.body, format="json")
        assert response.status_code == 401

    @pytest.mark.django_db
    def test_another_organisations_token_is_401(self, org_a, org_b):
        self.enable(org_a)
        foreign = issue_token(make_app(org_b, username="foreign")).token
        response = client_for(org_a, foreign).post(self.url(org_a), self.body, format="json")
        assert response.status_code == 401
        assert response.json()["code"] == "token_wrong_organization"

    @pytest.mark.django_db
    def test_missing_grant_is_403(self, org_a):
        self.enable(org_a)
        client = self.app_client(org_a, grants=[g for g in Grant.values if g != self.grant])
        response = client.post(self.url(org_a), self.body, format="json")
        assert response.status_code == 403 and f"'{self.grant}'" in response.json()["detail"]



class ActionFeatureCases:
    """For actions of a feature (a meta-test checks that each one with `feature` has these)."""

    @pytest.mark.django_db
    def test_feature_switched_off_is_404(self, org_a):
        url = self.url(org_a)
        response = self.app_client(org_a).post(url, self.body, format="json")
        assert response.status_code == 404 and response.json()["code"] == "feature_disabled"


class ActionBodyCases:
    """For actions that take a body."""

    @pytest.mark.django_db
    def test_invalid_body_is_400(self, org_a):
        self.enable(org_a)
        response = self.app_client(org_a).post(self.url(org_a), {"no_such_field": 1},
                                               format="json")
        assert response.status_code == 400


class QueryCounts:
    """The pinned query count per route, the way NetBox pins them: a baseline file, refreshed
    by OMGEVING_UPDATE_QUERY_COUNTS=1 (then review the diff like any other change)."""

    path = Path(__file__).with_name("query_counts.json")

    def __init__(self):
        self.counts = json.loads(self.path.read_text()) if self.path.exists() else {}

    def check(self, key: str, count: int) -> None:
        if os.environ.get("OMGEVING_UPDATE_QUERY_COUNTS") == "1":
            self.counts[key] = count
            self.path.write_text(json.dumps(dict(sorted(self.counts.items())), indent=2) + "\n")
            return
        assert key in self.counts, f"no pinned query count for {key}: run with " \
            "OMGEVING_UPDATE_QUERY_COUNTS=1"
        assert count == self.counts[key], f"{key}: {count} queries, pinned {self.counts[key]}"


QUERY_COUNTS = QueryCounts()


class UpsertCases:
    """For PUT /api/<resource>/external/<external_id>/: the gates, then 201 and 200."""

    routes: tuple[str, ...] = ()
    path = ""  # e.g. "/api/users/external/{external_id}/"
    grant = ""
    write_grant = ""
    feature: str | None = None

    def body(self, org) -> dict:
        raise NotImplementedError

    def url(self, key="ecd-1"):
        return self.path.replace("{external_id}", key)

    def enable(self, org):
        ResourceCases.enable(self, org)

    def app_client(self, org, grants=tuple(Grant.values), username="generic"):
        return ResourceCases.app_client(self, org, grants, username)

    @pytest.mark.django_db
    def test_gates(self, org_a, org_b):
        self.enable(org_a)
        body = self.body(org_a)
        assert client_for(org_a).put(self.url(), body, format="json").status_code == 401
        foreign = issue_token(make_app(org_b, username="foreign")).token
        response = client_for(org_a, foreign).put(self.url(), body, format="json")
        assert response.status_code == 401
        reader = self.app_client(org_a, grants=[self.grant], username="reader")
        response = reader.put(self.url(), body, format="json")
        assert response.status_code == 403 and f"'{self.write_grant}'" in \
            response.json()["detail"]

    @pytest.mark.django_db
    def test_creates_then_replaces(self, org_a):
        self.enable(org_a)
        client = self.app_client(org_a)
        body = self.body(org_a)
        first = client.put(self.url(), body, format="json")
        assert first.status_code == 201, first.content
        second = client.put(self.url(), body, format="json")
        assert second.status_code == 200 and second.json()["id"] == first.json()["id"]

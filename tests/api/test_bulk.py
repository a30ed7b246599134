"""Bulk upserts: one result per item, a bad item does not stop the others, unchanged items
write nothing, each valid item with its feed event and access-log row."""

from __future__ import annotations

import pytest

from omgeving.accounts.models import Role, User
from omgeving.audit.models import AccessLogEntry
from omgeving.changes.models import ChangeEvent
from omgeving.network.models import Relation

from ..helpers import make_person
from .test_errors import assert_problem

pytestmark = pytest.mark.django_db


def bulk(api, items, path="/api/users/bulk/"):
    return api.post(path, {"items": items}, format="json")


def test_users_created_updated_unchanged_and_refused(api_a, org_a):
    make_person(org_a, "taken")
    first = bulk(api_a, [
        {"external_id": "e1", "username": "joost", "roles": ["CLIENT"]},
        {"external_id": "e2", "username": "taken", "roles": ["CLIENT"]},  # 409 on its own
        {"external_id": "e3", "username": "ans", "roles": ["GUARDIAN"]},
        {"username": "nokey", "roles": ["CLIENT"]},
        {"external_id": "e4", "username": "boss", "roles": ["ADMINISTRATOR"]},
    ])
    assert first.status_code == 200
    results = first.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "created", "error", "error"]
    assert results[1]["errors"][0]["code"] == "username_taken"
    assert results[3]["errors"][0]["code"] == "required"
    assert results[4]["errors"][0]["code"] == "role_not_assignable"
    joost = User.objects.get(external_id="e1")
    assert results[0]["id"] == joost.pk
    assert not User.objects.filter(username__in=["nokey", "boss"]).exists()

    events_before = ChangeEvent.objects.count()
    second = bulk(api_a, [
        {"external_id": "e1", "username": "joost", "roles": ["CLIENT"]},  # as it is
        {"external_id": "e3", "username": "ans", "roles": ["GUARDIAN"], "first_name": "Ans"},
    ]).json()["results"]
    assert [r["status"] for r in second] == ["unchanged", "updated"]
    # Only the update wrote anything: one event, and the log says what happened to whom.
    assert ChangeEvent.objects.count() == events_before + 1
    ans = User.objects.get(external_id="e3")
    assert list(AccessLogEntry.objects.filter(subject=ans).order_by("id")
                .values_list("action", flat=True)) == ["create", "update"]


def test_one_key_twice_in_a_request_creates_then_updates(api_a, org_a):
    """Existing objects are read once per request; what an item writes — or a refused item
    may have changed in memory — is what the next item with that key sees."""
    make_person(org_a, "taken")
    results = bulk(api_a, [
        {"external_id": "e1", "username": "joost", "roles": ["CLIENT"]},
        {"external_id": "e1", "username": "joost", "roles": ["CLIENT"], "first_name": "J"},
        {"external_id": "e1", "username": "taken", "roles": ["CLIENT"]},  # refused
        {"external_id": "e1", "username": "joost", "roles": ["CLIENT"], "first_name": "J"},
    ]).json()["results"]
    assert [r["status"] for r in results] == ["created", "updated", "error", "unchanged"]
    assert len({r["id"] for r in results if r["id"]}) == 1
    joost = User.objects.get(external_id="e1")
    assert (joost.username, joost.first_name, joost.version) == ("joost", "J", 2)


def test_relations_in_bulk_keep_the_rules(api_a, org_a):
    joost, lisa = make_person(org_a, "joost"), make_person(org_a, "lisa")
    ans = make_person(org_a, "ans", Role.GUARDIAN)
    results = bulk(api_a, [
        {"external_id": "r1", "client": joost.pk, "person": ans.pk, "authorisation": "GUARDIAN"},
        {"external_id": "r2", "client": joost.pk, "person": lisa.pk,
         "authorisation": "GUARDIAN"},
    ], path="/api/relations/bulk/").json()["results"]
    assert [r["status"] for r in results] == ["created", "error"]
    assert results[1]["errors"][0]["code"] == "client_to_client"
    assert list(Relation.objects.values_list("external_id", flat=True)) == ["r1"]


@pytest.mark.parametrize("body", [{}, {"items": []}, {"items": "x"}, {"items": [], "x": 1},
                                  {"items": [{}] * 1001}])
def test_bad_envelopes_are_400(api_a, body):
    response = api_a.post("/api/users/bulk/", body, format="json")
    assert response.status_code == 400 and response["Content-Type"] == \
        "application/problem+json"


def test_items_that_are_not_objects_are_item_errors(api_a):
    results = bulk(api_a, ["text", 5, None]).json()["results"]
    assert [r["status"] for r in results] == ["error"] * 3


def test_bulk_needs_the_write_grant(org_a):
    from omgeving.tokens.services import issue_token

    from ..helpers import client_for, make_app

    reader = make_app(org_a, username="reader", grants=["users:read"])
    response = bulk(client_for(org_a, issue_token(reader).token),
                    [{"external_id": "e1", "username": "x", "roles": ["CLIENT"]}])
    assert_problem(response, 403, "missing_grant")


def test_new_people_are_created_together_under_the_same_rules(api_a, org_a):
    """A run of new people is created in one go (one uniqueness query, one INSERT, one run
    of feed events); each still meets every rule, the first of two equal usernames wins as
    one by one, and each created person has its feed event and its access-log row."""
    make_person(org_a, "taken")
    before = ChangeEvent.objects.count()
    results = bulk(api_a, [
        {"external_id": "n1", "username": "anna", "roles": ["CLIENT"]},
        {"external_id": "n2", "username": "bram", "roles": ["GUARDIAN"], "bsn": "123"},
        {"external_id": "n3", "username": "anna", "roles": ["CLIENT"]},
        {"external_id": "n4", "username": "taken", "roles": ["CLIENT"]},
        {"external_id": "n5", "username": "cees", "roles": ["CLIENT", "GUARDIAN"]},
        {"external_id": "n6", "username": "daan", "roles": ["EXTERNAL"], "email": "d@x.org"},
    ]).json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "error", "error", "error",
                                              "created"]
    assert [r["errors"][0]["code"] for r in results if r["errors"]] == [
        "invalid", "username_taken", "username_taken", "one_authorisation"]
    made = [User.objects.get(external_id=k) for k in ("n1", "n6")]
    assert [u.pk for u in made] == [results[0]["id"], results[5]["id"]]
    events = list(ChangeEvent.objects.order_by("seq")[before:].values_list(
        "resource", "object_id", "external_id", "action", "version"))
    assert events == [("users", made[0].pk, "n1", "created", 1),
                      ("users", made[1].pk, "n6", "created", 1)]
    assert set(AccessLogEntry.objects.filter(action="create").values_list(
        "subject_id", flat=True)) == {u.pk for u in made}
    assert not made[0].has_usable_password() and made[1].email == "d@x.org"


def test_a_failed_multi_row_insert_falls_back_to_one_by_one(org_a, monkeypatch):
    """When the INSERT meets a row written meanwhile (IntegrityError), the batch is saved one
    person at a time instead, each with its own checks and feed event."""
    from django.db import IntegrityError

    from omgeving.accounts import services

    def collide(*args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed")

    before = ChangeEvent.objects.count()
    monkeypatch.setattr(User.objects, "bulk_create", collide)
    out = services.create_users_via_api(org_a, [
        {"username": "anna", "roles": ["CLIENT"]}, {"username": "bram", "roles": ["CLIENT"]}])
    assert [u.pk for u in out] == list(User.objects.filter(
        username__in=["anna", "bram"]).order_by("username").values_list("pk", flat=True))
    assert ChangeEvent.objects.count() == before + 2

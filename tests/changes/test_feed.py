"""The change feed: every change of every API resource, in the change's transaction, gapless
and in commit order, filtered by the application's grants."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.urls import get_resolver

from omgeving.accounts.grants import Grant
from omgeving.accounts.models import Role, User
from omgeving.changes import services as changes
from omgeving.changes.models import ChangeEvent
from omgeving.network.models import Relation, today
from omgeving.network.services import save_relation
from omgeving.tokens.services import issue_token

from ..helpers import client_for, make_app, make_person

pytestmark = pytest.mark.django_db
# The logs themselves, and webhooks: an application's own delivery settings, not the
# organisation's data (and an event per delivery would feed itself).
EXEMPT_MODELS = {"AccessLogEntry", "ChangeEvent", "Webhook", "WebhookDelivery"}


def read_all(api, after=None, **params):
    """Follow the feed to its end; every event it gives."""
    events, cursor = [], after
    while True:
        query = {**params, **({"after": cursor} if cursor else {})}
        body = api.get("/api/changes/", query).json()
        events += body["results"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return events, cursor


def test_every_resource_the_api_exposes_is_in_the_feed():
    """Now and later: a new viewset over a model without a feed registration fails here."""
    registered = {model.__name__ for model in changes.REGISTRY}
    exposed = set()
    for pattern in get_resolver().url_patterns:
        for sub in getattr(pattern, "url_patterns", []):
            view = getattr(getattr(sub, "callback", None), "cls", None)
            model = getattr(view, "model", None)
            if model is not None:
                exposed.add(model.__name__)
    assert exposed - EXEMPT_MODELS - registered == set()
    assert {"User", "Relation", "Group", "GroupMember", "Family"} <= registered


def test_creates_updates_and_deletes_appear_in_order(api_a, org_a):
    created = api_a.post("/api/users/", {"username": "joost", "roles": ["CLIENT"],
                                         "external_id": "ecd-1"}, format="json").json()
    api_a.patch(f"/api/users/{created['id']}/", {"first_name": "Joost"}, format="json")
    api_a.delete(f"/api/users/{created['id']}/")  # deactivates: an update
    group = api_a.post("/api/groups/", {"name": "Team"}, format="json").json()
    api_a.delete(f"/api/groups/{group['id']}/")
    events, _ = read_all(api_a)
    wanted = {("users", created["id"]), ("groups", group["id"])}
    mine = [(e["resource"], e["action"], e["version"]) for e in events
            if (e["resource"], e["object_id"]) in wanted]
    assert mine == [("users", "created", 1), ("users", "updated", 2), ("users", "updated", 3),
                    ("groups", "created", 1), ("groups", "deleted", 2)]
    assert events[0]["external_id"] is None or isinstance(events[0]["external_id"], str)
    joost = [e for e in events if e["object_id"] == created["id"] and e["resource"] == "users"]
    assert {e["external_id"] for e in joost} == {"ecd-1"}
    assert set(events[0]) == {"cursor", "resource", "object_id", "external_id", "action",
                              "version", "at"}  # no personal data


def test_ended_and_removed_relations(api_a, org_a):
    joost, ans = make_person(org_a, "joost"), make_person(org_a, "ans", Role.GUARDIAN)
    started = api_a.post("/api/relations/", {"client": joost.pk, "person": ans.pk,
                                             "authorisation": "GUARDIAN",
                                             "start_date": "2020-01-01"}, format="json").json()
    future = api_a.post("/api/relations/", {
        "client": joost.pk, "person": make_person(org_a, "piet", Role.EXTERNAL).pk,
        "authorisation": "EXTERNAL",
        "start_date": str(today() + datetime.timedelta(days=5))}, format="json").json()
    api_a.delete(f"/api/relations/{started['id']}/")  # ends it: updated
    api_a.delete(f"/api/relations/{future['id']}/")  # had not started: removed
    events, _ = read_all(api_a, resource="relations")
    assert [(e["object_id"], e["action"]) for e in events] == [
        (started["id"], "created"), (future["id"], "created"),
        (started["id"], "updated"), (future["id"], "deleted")]


@pytest.mark.django_db(transaction=True)
def test_the_event_commits_with_the_change_or_not_at_all(org_a, monkeypatch):
    """The services' own transactions: the test runs in autocommit and opens none, so if the
    feed cannot be written, only the service's transaction can take its change back."""
    joost, ans = make_person(org_a, "joost"), make_person(org_a, "ans", Role.GUARDIAN)

    def fail(*args, **kwargs):
        raise DatabaseError("injected: the feed cannot be written")

    monkeypatch.setattr(ChangeEvent.objects, "create", fail)
    users = User.objects.count()
    with pytest.raises(DatabaseError):
        make_person(org_a, "pieter")
    assert User.objects.count() == users
    with pytest.raises(DatabaseError):
        save_relation(Relation(organization=org_a, client=joost, person=ans,
                               authorisation="GUARDIAN"))
    assert not Relation.objects.exists()


def test_the_feed_shows_only_what_the_application_may_read(org_a, api_a):
    make_person(org_a, "joost")
    api_a.post("/api/groups/", {"name": "Team"}, format="json")
    reader = make_app(org_a, username="groups-only", grants=[Grant.RELATIONS_READ])
    events, _ = read_all(client_for(org_a, issue_token(reader).token))
    assert {e["resource"] for e in events} == {"groups"}
    # Without any read grant, not even the feed's position: its cursor would count the
    # organisation's activity.
    nothing = make_app(org_a, username="nothing", grants=[Grant.WEBHOOKS])
    refused = client_for(org_a, issue_token(nothing).token).get("/api/changes/")
    assert refused.status_code == 403 and refused.json()["code"] == "missing_grant"
    assert "cursor" not in refused.content.decode()


def test_organisations_have_their_own_feeds(api_a, org_a, org_b):
    make_person(org_b, "elsewhere")
    make_person(org_a, "here")
    events, _ = read_all(api_a, resource="users")
    assert {e["object_id"] for e in events} == set(
        User.objects.filter(organization=org_a).values_list("pk", flat=True))


def test_cursor_paging_and_latest(api_a, org_a):
    for i in range(7):
        make_person(org_a, f"p{i}")
    first = api_a.get("/api/changes/", {"limit": 3, "resource": "users"}).json()
    assert len(first["results"]) == 3 and first["has_more"]
    rest, cursor = read_all(api_a, after=first["next_cursor"], resource="users", limit=3)
    assert len(first["results"]) + len(rest) == User.objects.filter(organization=org_a).count()
    latest = api_a.get("/api/changes/", {"after": "latest"}).json()
    assert latest["results"] == [] and not latest["has_more"]
    make_person(org_a, "newer")
    after_latest, _ = read_all(api_a, after=latest["next_cursor"])
    assert [e["action"] for e in after_latest] == ["created"]


@pytest.mark.parametrize("query,code", [
    ({"after": "not-a-cursor"}, "invalid_cursor"),
    ({"limit": "0"}, "min_value"),
    ({"limit": "1001"}, "max_value"),
    ({"resource": "nonsense"}, "invalid"),
    ({"since": "yesterday"}, "unknown_parameter"),
])
def test_bad_queries_are_400(api_a, query, code):
    response = api_a.get("/api/changes/", query)
    assert response.status_code == 400 and response.json()["code"] == code


def test_a_cursor_past_the_retention_is_410(app_a, org_a, settings):
    def api():  # a token of the moment travelled to
        return client_for(org_a, issue_token(app_a).token)

    with time_machine.travel("2030-01-01 00:00:00+00:00", tick=False) as traveller:
        make_person(org_a, "old")
        _, cursor = read_all(api())
        traveller.shift(datetime.timedelta(days=1))
        make_person(org_a, "newer")
        traveller.shift(datetime.timedelta(seconds=settings.CHANGES_RETENTION + 1))
        assert changes.prune() >= 1  # "newer" is now past the retention too
        response = api().get("/api/changes/", {"after": cursor})
        assert response.status_code == 410
        body = response.json()
        assert body["code"] == "cursor_expired" and "after=latest" in body["detail"]
        # A reader that was up to date with the newest event is not refused.
        _, recent = read_all(api())
        assert api().get("/api/changes/", {"after": recent}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_no_gaps_no_repeats(org_a):
    """Writers in threads (each its own connection) while a reader follows the feed: the
    reader sees every committed event exactly once, in sequence order."""
    app = make_app(org_a, username="reader")
    reader = client_for(org_a, issue_token(app).token)
    centre = make_person(org_a, "centre")
    stop = threading.Event()
    errors = []

    def writer(n):
        try:
            for i in range(15):
                with transaction.atomic():
                    person = make_person(org_a, f"w{n}-{i}", Role.EXTERNAL)
                    Relation.objects.create(organization=org_a, client=centre,
                                            person=person, authorisation="EXTERNAL")
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    seen, cursor = [], None
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads) or not stop.is_set():
        if not any(t.is_alive() for t in threads):
            stop.set()  # one last read after every writer finished
        events, cursor = read_all(reader, after=cursor)
        seen += events
    assert errors == []
    seqs = [changes.decode_cursor(e["cursor"]) for e in seen]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))  # in order, each once
    committed = list(ChangeEvent.objects.filter(organization=org_a).order_by("seq")
                     .values_list("seq", flat=True))
    assert seqs == committed  # none missed
    assert committed == list(range(1, len(committed) + 1))  # gapless
    assert sum(e["resource"] == "relations" for e in seen) == 60


def test_the_prune_command(org_a, capsys):
    from django.core.management import call_command

    make_person(org_a, "joost")
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=31)):
        call_command("prune_changes")
    assert "pruned 1 event(s)" in capsys.readouterr().out
    assert not ChangeEvent.objects.exists()

"""The rules of content around a client (care/services.py), each with its code, through the
API: the client, the author (rule 1), participants (rule 2), tombstones (rule 4), the access
log (rule 5), upserts and the change feed (rule 6)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from omgeving.accounts.models import Role
from omgeving.audit.models import AccessLogEntry
from omgeving.care.models import Appointment, Goal, Report
from omgeving.changes.models import ChangeEvent
from omgeving.network.models import today

from ..helpers import make_app, make_person

pytestmark = pytest.mark.django_db


def soon(hours=24):
    return (timezone.now() + datetime.timedelta(hours=hours)).isoformat()


def code(answer):
    return answer.json()["code"]


def test_content_belongs_to_an_active_client(api, joost, org_a):
    for person in (joost["ans"], joost["pieter"], make_app(org_a, username="other-app")):
        answer = api.post("/api/goals/", {"client": person.pk, "author": joost["pieter"].pk,
                                          "title": "x"}, format="json")
        assert answer.status_code == 400 and code(answer) == "not_a_client", person
    gone = make_person(org_a, "gone", Role.CLIENT, is_active=False)
    answer = api.post("/api/goals/", {"client": gone.pk, "author": gone.pk, "title": "x"},
                      format="json")
    assert answer.status_code == 400 and code(answer) == "not_a_client"


def test_author_needs_a_running_relation_with_the_category(api, joost):
    j = joost
    body = {"client": j["joost"].pk, "title": "Zelf naar school fietsen"}
    for author, expected in (("pieter", 201), ("ans", 201), ("joost", 201),
                             ("tim", 403), ("lisa", 403)):
        answer = api.post("/api/goals/", {**body, "author": j[author].pk}, format="json")
        assert answer.status_code == expected, (author, answer.content)
        if expected == 403:
            assert code(answer) == "author_not_permitted"
    # Documents are for counselors (and the client): a GUARDIAN may not upload.
    answer = api.post("/api/appointments/", {
        "client": j["joost"].pk, "author": j["ans"].pk, "title": "Oudergesprek",
        "starts_at": soon(), "ends_at": soon(25)}, format="json")
    assert answer.status_code == 201  # appointments: a guardian may
    goal = Goal.objects.get(title="Zelf naar school fietsen", author=j["pieter"])
    assert goal.written_by.username == "ecd"


def test_reports_by_counselors_diary_by_client_or_guardian(api, joost):
    j = joost
    body = {"client": j["joost"].pk, "title": "Verslag", "body": "Goed gesprek."}
    expected = {("report", "pieter"): 201, ("report", "ans"): 403, ("report", "joost"): 403,
                ("diary", "joost"): 201, ("diary", "ans"): 201, ("diary", "pieter"): 403,
                ("diary", "tim"): 403}
    for (kind, author), status in expected.items():
        answer = api.post("/api/reports/", {**body, "kind": kind, "author": j[author].pk},
                          format="json")
        assert answer.status_code == status, (kind, author, answer.content)
        if status == 403:
            assert code(answer) == "author_not_permitted"


def test_a_change_on_someones_behalf_is_checked_and_kept_as_editor(api, joost):
    j = joost
    made = api.post("/api/goals/", {"client": j["joost"].pk, "author": j["ans"].pk,
                                    "title": "Zwemdiploma"}, format="json").json()
    answer = api.patch(f"/api/goals/{made['id']}/", {"status": "active",
                                                     "author": j["pieter"].pk}, format="json")
    assert answer.status_code == 200
    assert answer.json()["author"] == j["ans"].pk and answer.json()["editor"] == j["pieter"].pk
    answer = api.patch(f"/api/goals/{made['id']}/", {"status": "achieved",
                                                     "author": j["tim"].pk}, format="json")
    assert answer.status_code == 403 and code(answer) == "author_not_permitted"
    assert Goal.objects.get(pk=made["id"]).status == "active"
    answer = api.patch(f"/api/goals/{made['id']}/", {"client": j["lisa"].pk}, format="json")
    assert answer.status_code == 400 and code(answer) == "client_immutable"


def test_participants_are_in_the_network_and_never_two_clients(api, joost):
    j = joost
    body = {"client": j["joost"].pk, "author": j["pieter"].pk, "subject": "Schoolplan"}
    answer = api.post("/api/message-threads/", {**body, "participants": [j["ans"].pk]},
                      format="json")
    assert answer.status_code == 201
    assert set(answer.json()["participants"]) == {j["ans"].pk, j["pieter"].pk}  # + author
    answer = api.post("/api/message-threads/", {**body, "participants": [j["lisa"].pk]},
                      format="json")
    assert answer.status_code == 400 and code(answer) == "two_clients"
    answer = api.post("/api/message-threads/", {**body, "participants": [j["tim"].pk]},
                      format="json")
    assert answer.status_code == 400 and code(answer) == "not_in_network"
    # An appointment: on the appointment's date. Tim took part last year, not next week.
    last_year = timezone.now() - datetime.timedelta(days=200)
    appointment = {"client": j["joost"].pk, "author": j["pieter"].pk, "title": "Overleg",
                   "participants": [j["tim"].pk]}
    answer = api.post("/api/appointments/", {**appointment, "starts_at": soon(),
                                             "ends_at": soon(25)}, format="json")
    assert answer.status_code == 400 and code(answer) == "not_in_network"
    answer = api.post("/api/appointments/", {
        **appointment, "starts_at": last_year.isoformat(),
        "ends_at": (last_year + datetime.timedelta(hours=1)).isoformat()}, format="json")
    assert answer.status_code == 201, answer.content
    # Moving it to next week checks everyone again.
    answer = api.patch(f"/api/appointments/{answer.json()['id']}/", {
        "starts_at": soon(), "ends_at": soon(25)}, format="json")
    assert answer.status_code == 400 and code(answer) == "not_in_network"
    answer = api.post("/api/appointments/", {**appointment, "participants": [],
                                             "starts_at": soon(25), "ends_at": soon()},
                      format="json")
    assert answer.status_code == 400 and code(answer) == "end_before_start"


def test_messages(api, joost):
    j = joost
    thread = api.post("/api/message-threads/", {
        "client": j["joost"].pk, "author": j["pieter"].pk, "subject": "Rooster",
        "participants": [j["ans"].pk]}, format="json").json()
    url = f"/api/message-threads/{thread['id']}/messages/"
    sent = api.post(url, {"author": j["ans"].pk, "body": "Prima!"}, format="json")
    assert sent.status_code == 201 and sent.json()["client"] == j["joost"].pk
    answer = api.post(url, {"author": j["joost"].pk, "body": "Ik ook"}, format="json")
    assert answer.status_code == 201  # the thread's client takes part in it
    answer = api.post(url, {"author": j["tim"].pk, "body": "Hallo"}, format="json")
    assert answer.status_code == 403 and code(answer) == "author_not_permitted"
    answer = api.post(url, {"author": j["ans"].pk, "body": "x" * 10_001}, format="json")
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "body"
    listed = api.get(url).json()["results"]
    assert [m["body"] for m in listed] == ["Prima!", "Ik ook"]
    message = api.get(f"/api/messages/{sent.json()['id']}/")
    assert message.status_code == 200
    assert api.patch(f"/api/messages/{sent.json()['id']}/", {"body": "edit"},
                     format="json").status_code == 405  # never edited
    closed = api.patch(f"/api/message-threads/{thread['id']}/", {
        "closed_at": timezone.now().isoformat(), "author": j["pieter"].pk}, format="json")
    assert closed.status_code == 200
    answer = api.post(url, {"author": j["ans"].pk, "body": "Nog iets"}, format="json")
    assert answer.status_code == 409 and code(answer) == "thread_closed"


def test_a_message_author_takes_part_in_the_thread(api, joost, org_a):
    j = joost
    from omgeving.network import services
    from omgeving.network.models import Relation

    oma = make_person(org_a, "oma", Role.EXTERNAL)
    services.save_relation(Relation(organization=org_a, client=j["joost"], person=oma,
                                    authorisation=Role.EXTERNAL))
    thread = api.post("/api/message-threads/", {
        "client": j["joost"].pk, "author": j["pieter"].pk, "subject": "Privé",
        "participants": [j["ans"].pk]}, format="json").json()
    answer = api.post(f"/api/message-threads/{thread['id']}/messages/",
                      {"author": oma.pk, "body": "Mag ik meelezen?"}, format="json")
    assert answer.status_code == 400 and code(answer) == "not_a_participant"


def test_delete_leaves_a_tombstone(api, joost):
    j = joost
    report = api.post("/api/reports/", {"client": j["joost"].pk, "author": j["pieter"].pk,
                                        "title": "Intake", "body": "..."}, format="json").json()
    assert api.delete(f"/api/reports/{report['id']}/").status_code == 204
    stored = Report.all_objects.get(pk=report["id"])
    assert stored.deleted_at is not None and stored.deleted_by.username == "ecd"
    assert api.get(f"/api/reports/{report['id']}/").status_code == 410
    assert api.get("/api/reports/").json()["results"] == []
    listed = api.get("/api/reports/", {"include_deleted": "true"}).json()["results"]
    assert [r["id"] for r in listed] == [report["id"]] and listed[0]["deleted_at"]
    event = ChangeEvent.objects.filter(resource="reports").order_by("seq").last()
    assert event.action == "deleted"


def test_every_read_and_write_is_in_the_access_log_for_the_client(api, joost):
    j = joost
    before = AccessLogEntry.objects.count()
    made = api.post("/api/goals/", {"client": j["joost"].pk, "author": j["pieter"].pk,
                                    "title": "Lezen"}, format="json").json()
    api.get(f"/api/goals/{made['id']}/")
    api.get("/api/goals/")
    rows = list(AccessLogEntry.objects.order_by("id")[before:])
    assert [(r.resource, r.action, r.subject_id) for r in rows] == [
        ("goals", "create", j["joost"].pk), ("goals", "read", j["joost"].pk),
        ("goals", "read", j["joost"].pk)]


def test_upsert_by_external_id_and_the_feed(api, joost):
    j = joost
    body = {"client": j["joost"].pk, "author": j["pieter"].pk, "title": "Huisbezoek",
            "starts_at": soon(), "ends_at": soon(25)}
    first = api.put("/api/appointments/external/agenda-1/", body, format="json")
    assert first.status_code == 201, first.content
    second = api.put("/api/appointments/external/agenda-1/", {**body, "title": "Huisbezoek 2"},
                     format="json")
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert Appointment.objects.count() == 1
    for path, data in (("/api/goals/external/doel-1/", {"title": "Doel"}),
                       ("/api/reports/external/rapport-1/", {"title": "R", "body": "b"})):
        body = {"client": j["joost"].pk, "author": j["pieter"].pk, **data}
        assert api.put(path, body, format="json").status_code == 201
        assert api.put(path, body, format="json").status_code == 200
    events = ChangeEvent.objects.filter(resource__in=["appointments", "goals", "reports"])
    assert [(e.resource, e.action, e.external_id) for e in events.order_by("seq")] == [
        ("appointments", "created", "agenda-1"), ("appointments", "updated", "agenda-1"),
        ("goals", "created", "doel-1"), ("goals", "updated", "doel-1"),
        ("reports", "created", "rapport-1"), ("reports", "updated", "rapport-1")]


def test_goal_progress(api, joost):
    j = joost
    goal = api.post("/api/goals/", {"client": j["joost"].pk, "author": j["pieter"].pk,
                                    "title": "Fietsen"}, format="json").json()
    url = f"/api/goals/{goal['id']}/progress/"
    answer = api.post(url, {"score": 6, "note": "Lukt steeds beter", "author": j["ans"].pk},
                      format="json")
    assert answer.status_code == 201 and answer.json()["client"] == j["joost"].pk
    assert answer.json()["recorded_on"] == today().isoformat()
    for bad in (11, -1):
        answer = api.post(url, {"score": bad, "author": j["ans"].pk}, format="json")
        assert answer.status_code == 400
    answer = api.post(url, {"score": 5, "author": j["tim"].pk}, format="json")
    assert answer.status_code == 403 and code(answer) == "author_not_permitted"
    assert [p["score"] for p in api.get(url).json()["results"]] == [6]


def test_feature_off_is_404_and_grants_per_category(org_a, joost):
    from omgeving.tenancy.services import set_features
    from omgeving.tokens.services import issue_token

    from ..helpers import client_for

    set_features(org_a, off=["reports"])
    client = client_for(org_a, issue_token(make_app(org_a, username="x")).token)
    answer = client.get("/api/reports/")
    assert answer.status_code == 404 and code(answer) == "feature_disabled"
    reader = client_for(org_a, issue_token(make_app(
        org_a, username="y", grants=["goals:read"])).token)
    assert reader.get("/api/goals/").status_code == 200
    answer = reader.get("/api/appointments/")
    assert answer.status_code == 403 and "'appointments:read'" in answer.json()["detail"]
    goals = Goal.objects.count()
    answer = reader.post("/api/goals/", {"client": joost["joost"].pk, "author": joost[
        "pieter"].pk, "title": "Zwemmen"}, format="json")  # a goal the full grant would store
    assert answer.status_code == 403 and "'goals:write'" in answer.json()["detail"]
    assert Goal.objects.count() == goals
    assert client.post("/api/goals/", {"client": joost["joost"].pk, "author": joost[
        "pieter"].pk, "title": "Zwemmen"}, format="json").status_code == 201


def test_a_participant_cannot_become_another_client(api, joost, org_a):
    """Rule 2 after every change: a person taking part in Joost's open thread cannot be made
    a client (the thread would hold two), even once their relation has ended."""
    from omgeving.network import services
    from omgeving.network.models import Relation

    j = joost
    oma = make_person(org_a, "oma", Role.EXTERNAL)
    relation = services.save_relation(Relation(
        organization=org_a, client=j["joost"], person=oma, authorisation=Role.EXTERNAL,
        start_date=today() - datetime.timedelta(days=10)))
    thread = api.post("/api/message-threads/", {
        "client": j["joost"].pk, "author": j["pieter"].pk, "subject": "Verjaardag",
        "participants": [oma.pk]}, format="json").json()
    services.end_or_remove(relation)
    answer = api.patch(f"/api/users/{oma.pk}/", {"roles": ["CLIENT"]}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "network_blocks_change"
    assert f"message-threads.{thread['id']}" in {e["field"] for e in answer.json()["errors"]}
    oma.refresh_from_db()
    assert oma.authorisation == Role.EXTERNAL
    # Closed, the thread no longer stands in the way.
    api.patch(f"/api/message-threads/{thread['id']}/", {
        "closed_at": timezone.now().isoformat(), "author": j["pieter"].pk}, format="json")
    assert api.patch(f"/api/users/{oma.pk}/", {"roles": ["CLIENT"]},
                     format="json").status_code == 200


def test_external_ids_are_unique_per_organisation(api, joost):
    j = joost
    body = {"client": j["joost"].pk, "author": j["pieter"].pk, "title": "Intake",
            "body": "...", "external_id": "ecd-7"}
    assert api.post("/api/reports/", body, format="json").status_code == 201
    answer = api.post("/api/reports/", body, format="json")
    assert answer.status_code == 409 and code(answer) == "external_id_taken"
    thread = {"client": j["joost"].pk, "author": j["pieter"].pk, "subject": "x",
              "external_id": "ecd-7"}  # another resource: its own keys
    assert api.post("/api/message-threads/", thread, format="json").status_code == 201


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"])
def test_dates_lie_between_1900_and_2199(api, joost, day):
    j = joost
    report = api.post("/api/reports/", {
        "client": j["joost"].pk, "author": j["pieter"].pk, "title": "Verslag", "body": "x",
        "occurred_on": day}, format="json")
    assert report.status_code == 400 and code(report) == "date_out_of_range", report.content
    goal = api.post("/api/goals/", {"client": j["joost"].pk, "author": j["pieter"].pk,
                                    "title": "Fietsen", "target_date": day}, format="json")
    assert goal.status_code == 400 and code(goal) == "date_out_of_range", goal.content
    goal = api.post("/api/goals/", {"client": j["joost"].pk, "author": j["pieter"].pk,
                                    "title": "Fietsen"}, format="json").json()
    progress = api.post(f"/api/goals/{goal['id']}/progress/", {
        "score": 5, "author": j["ans"].pk, "recorded_on": day}, format="json")
    assert progress.status_code == 400 and code(progress) == "date_out_of_range"
    appointment = api.post("/api/appointments/", {
        "client": j["joost"].pk, "author": j["pieter"].pk, "title": "Gesprek",
        "starts_at": f"{day}T09:00:00Z", "ends_at": f"{day}T10:00:00Z"}, format="json")
    assert appointment.status_code == 400, appointment.content
    assert code(appointment) == "date_out_of_range"


def test_deleted_content_is_read_with_the_grant_deleted_only(org_a, api, joost):
    from omgeving.accounts.grants import Grant
    from omgeving.tokens.services import issue_token

    from ..helpers import client_for, make_app

    j = joost
    made = api.post("/api/reports/", {"client": j["joost"].pk, "author": j["pieter"].pk,
                                      "title": "Verslag", "body": "Vertrouwelijk."},
                    format="json").json()
    assert api.delete(f"/api/reports/{made['id']}/").status_code == 204
    everything = [g for g in Grant.values if g != "deleted"]
    reader = client_for(org_a, issue_token(make_app(org_a, "lezer", grants=everything)).token)
    refused = reader.get("/api/reports/", {"include_deleted": "true"})
    assert refused.status_code == 403 and code(refused) == "missing_grant"
    assert "'deleted'" in refused.json()["detail"]
    assert "Vertrouwelijk." not in refused.content.decode()
    assert reader.get("/api/reports/").json()["results"] == []  # live ones: no grant needed
    listed = api.get("/api/reports/", {"include_deleted": "true"}).json()["results"]
    assert [r["body"] for r in listed] == ["Vertrouwelijk."]  # the ECD's app holds it

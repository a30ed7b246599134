"""The worked example of docs/access.md with content ("Joost, with content"): every line of
its table, through the API an ECD or a portal uses — the timeline of each person and the
writes on their behalf."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from omgeving.care.models import MessageThread, Participant
from omgeving.demo import worked_content

from .test_documents import PDF

pytestmark = pytest.mark.django_db
CONTENT = ["messages", "appointments", "goals", "reports", "documents"]


@pytest.fixture
def world(api, joost, org_a):
    made = worked_content(org_a, joost)
    answer = api.post("/api/documents/", {
        "client": joost["joost"].pk, "author": joost["pieter"].pk, "title": "Handelingsplan",
        "file": SimpleUploadedFile("plan.pdf", PDF)}, format="multipart")
    assert answer.status_code == 201
    return made


def timeline(api, joost, viewer, **params):
    answer = api.get(f"/api/users/{joost[viewer].pk}/timeline/", params)
    assert answer.status_code == 200, answer.content
    return answer.json()


def categories(page, client) -> set[str]:
    return {item["category"] for item in page["results"] if item["client"] == client.pk}


def withheld(page, client) -> list[str]:
    return next((w["not_authorised"] for w in page["not_authorised"]
                 if w["client"] == client.pk), [])


def test_ans_reads_messages_appointments_goals_not_reports_or_documents(api, joost, world):
    page = timeline(api, joost, "ans")
    assert categories(page, joost["joost"]) == {"messages", "appointments", "goals"}
    assert withheld(page, joost["joost"]) == ["reports", "documents"]
    assert {w["client"] for w in page["not_authorised"]} == {joost["joost"].pk}  # not Lisa
    assert page["not_available"] == []


def test_tim_ended_can_neither_author_nor_take_part_nor_read(api, joost, world):
    j = joost
    answer = api.post(f"/api/message-threads/{world['thread'].pk}/messages/",
                      {"author": j["tim"].pk, "body": "Hoi"}, format="json")
    assert answer.status_code == 403 and answer.json()["code"] == "author_not_permitted"
    answer = api.post("/api/message-threads/", {"client": j["joost"].pk,
                                                "author": j["pieter"].pk, "subject": "Juf",
                                                "participants": [j["tim"].pk]}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "not_in_network"
    soon = timezone.now() + datetime.timedelta(days=1)
    answer = api.post("/api/appointments/", {
        "client": j["joost"].pk, "author": j["pieter"].pk, "title": "Oudergesprek",
        "starts_at": soon.isoformat(), "ends_at": (soon + datetime.timedelta(hours=1))
        .isoformat(), "participants": [j["tim"].pk]}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "not_in_network"
    page = timeline(api, joost, "tim")
    assert page["results"] == [] and page["not_authorised"] == []
    page = timeline(api, joost, "tim", client=j["joost"].pk)
    assert page["results"] == [] and withheld(page, j["joost"]) == CONTENT


def test_pieter_writes_reports_for_joost_and_lisa_but_no_thread_holds_both(api, joost,
                                                                          world):
    j = joost
    for client in ("joost", "lisa"):
        answer = api.post("/api/reports/", {"client": j[client].pk, "author": j["pieter"].pk,
                                            "title": "Voortgang", "body": "..."},
                          format="json")
        assert answer.status_code == 201, client
    answer = api.post("/api/message-threads/", {
        "client": j["joost"].pk, "author": j["pieter"].pk, "subject": "Samen",
        "participants": [j["lisa"].pk]}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "two_clients"
    answer = api.patch(f"/api/message-threads/{world['lisa_thread'].pk}/", {
        "participants": [j["pieter"].pk, j["joost"].pk]}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "two_clients"
    for thread in MessageThread.objects.all():
        people = set(Participant.objects.filter(thread=thread).values_list("user_id",
                                                                           flat=True))
        clients = {thread.client_id} | {pk for pk in people
                                        if pk in (j["joost"].pk, j["lisa"].pk)}
        assert len(clients) == 1, thread
    page = timeline(api, joost, "pieter")
    assert categories(page, j["joost"]) == set(CONTENT)
    assert categories(page, j["lisa"]) == {"reports"}  # Lisa's thread has no messages yet
    assert page["not_authorised"] == []


def test_joost_sees_everything_of_his_own_and_nothing_of_lisa(api, joost, world):
    page = timeline(api, joost, "joost")
    assert categories(page, joost["joost"]) == set(CONTENT)
    assert {item["client"] for item in page["results"]} == {joost["joost"].pk}
    page = timeline(api, joost, "joost", client=joost["lisa"].pk)
    assert page["results"] == [] and withheld(page, joost["lisa"]) == CONTENT
    page = timeline(api, joost, "lisa")
    assert {item["client"] for item in page["results"]} == {joost["lisa"].pk}


def test_messages_only_from_threads_one_takes_part_in(api, joost, world):
    j = joost
    private = api.post("/api/message-threads/", {
        "client": j["joost"].pk, "author": j["pieter"].pk, "subject": "Alleen wij"},
        format="json").json()
    api.post(f"/api/message-threads/{private['id']}/messages/",
             {"author": j["joost"].pk, "body": "Geheim"}, format="json")
    ans = timeline(api, joost, "ans", category="messages")
    assert {i["title"] for i in ans["results"]} == {"Het nieuwe schoolrooster"}
    joost_page = timeline(api, joost, "joost", category="messages")
    assert {i["title"] for i in joost_page["results"]} == {"Het nieuwe schoolrooster",
                                                           "Alleen wij"}


def test_newest_first_cursor_walk_and_bad_cursor(api, joost, world):
    everything = timeline(api, joost, "pieter", page_size=100)["results"]
    # a message, an appointment, a goal, its progress, two reports, a document
    assert len(everything) == 7
    created = [i["created"] for i in everything]
    assert created == sorted(created, reverse=True)
    walked, page = [], timeline(api, joost, "pieter", page_size=2)
    while True:
        walked += page["results"]
        if not page["next"]:
            break
        after = page["next"].split("after=")[1].split("&")[0]
        page = timeline(api, joost, "pieter", page_size=2, after=after)
    assert [(i["resource"], i["id"]) for i in walked] == \
        [(i["resource"], i["id"]) for i in everything]
    answer = api.get(f"/api/users/{joost['pieter'].pk}/timeline/", {"after": "bm9wZQ"})
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_cursor"
    answer = api.get(f"/api/users/{joost['pieter'].pk}/timeline/", {"colour": "red"})
    assert answer.status_code == 400 and answer.json()["code"] == "unknown_parameter"
    for empty in ("after", "client", "category"):
        answer = api.get(f"/api/users/{joost['pieter'].pk}/timeline/", {empty: ""})
        assert answer.status_code == 400 and answer.json()["code"] == "invalid_parameter"


def test_the_application_sees_only_what_it_may_read(org_a, joost, world):
    from omgeving.tenancy.services import set_features
    from omgeving.tokens.services import issue_token

    from ..helpers import client_for, make_app

    set_features(org_a, off=["documents"])
    reader = client_for(org_a, issue_token(make_app(
        org_a, username="portal", grants=["relations:read", "goals:read"])).token)
    page = reader.get(f"/api/users/{joost['pieter'].pk}/timeline/").json()
    assert {i["category"] for i in page["results"]} == {"goals"}
    assert page["not_available"] == ["messages", "appointments", "reports", "documents"]
    app = reader.get(f"/api/users/{make_app(org_a, username='other').pk}/timeline/")
    assert app.status_code == 400 and app.json()["code"] == "not_in_network"


def test_ans_and_joost_write_what_the_table_says(api, joost, world):
    j = joost
    soon = timezone.now() + datetime.timedelta(days=2)
    when = {"starts_at": soon.isoformat(),
            "ends_at": (soon + datetime.timedelta(hours=1)).isoformat()}
    for person in ("ans", "joost"):
        author = {"client": j["joost"].pk, "author": j[person].pk}
        writes = {
            "message": api.post(f"/api/message-threads/{world['thread'].pk}/messages/",
                                {"author": j[person].pk, "body": "Goed."}, format="json"),
            "appointment": api.post("/api/appointments/", {**author, "title": "Tandarts",
                                                           **when}, format="json"),
            "goal": api.post("/api/goals/", {**author, "title": "Zwemmen"}, format="json"),
            "progress": api.post(f"/api/goals/{world['goal'].pk}/progress/",
                                 {"author": j[person].pk, "score": 8}, format="json"),
            "diary": api.post("/api/reports/", {**author, "kind": "diary", "title": "Dag",
                                                "body": "Fijn."}, format="json"),
        }
        assert {k: a.status_code for k, a in writes.items()} == dict.fromkeys(writes, 201), \
            person
        report = api.post("/api/reports/", {**author, "kind": "report", "title": "Verslag",
                                            "body": "..."}, format="json")
        assert report.status_code == 403, person
    answer = api.post("/api/documents/", {
        "client": j["joost"].pk, "author": j["joost"].pk, "title": "Mijn tekening",
        "file": SimpleUploadedFile("t.pdf", PDF)}, format="multipart")
    assert answer.status_code == 201  # his own documents: yes
    answer = api.post("/api/documents/", {
        "client": j["joost"].pk, "author": j["ans"].pk, "title": "Brief",
        "file": SimpleUploadedFile("b.pdf", PDF)}, format="multipart")
    assert answer.status_code == 403  # a guardian does not see (nor write) documents


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00",
                                    "1000-06-01T00:00:00+00:00"])
def test_a_forged_cursor_with_an_extreme_date_is_400_not_500(api, joost, world, moment):
    import base64

    forged = base64.urlsafe_b64encode(f"{moment}|0|1".encode()).decode().rstrip("=")
    answer = api.get(f"/api/users/{joost['pieter'].pk}/timeline/", {"after": forged})
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_cursor"


def _cursor(moment: str, rank: int, pk: int) -> str:
    import base64

    return base64.urlsafe_b64encode(f"{moment}|{rank}|{pk}".encode()).decode().rstrip("=")


@pytest.mark.parametrize(("cursor", "valid"), [
    (("2199-06-01T00:00:00+00:00", 0, 1), True),  # the last year content can have, rank 0
    (("1900-01-01T12:00:00+00:00", 5, 2**63 - 1), True),
    (("2200-01-01T00:00:00+00:00", 0, 1), False),
    (("2026-01-01T00:00:00+00:00", 0, 0), False),  # a row id is positive
    (("2026-01-01T00:00:00+00:00", 0, 2**63), False),  # beyond a 64-bit id: not SQL's error
    (("2026-01-01T00:00:00+00:00", 6, 1), False),  # one rank per source, 0-5
    (("2026-01-01T00:00:00", 0, 1), False),  # a moment without its offset
])
def test_a_cursor_is_checked_before_it_reaches_sql(api, joost, world, cursor, valid):
    answer = api.get(f"/api/users/{joost['pieter'].pk}/timeline/", {"after": _cursor(*cursor)})
    if valid:
        assert answer.status_code == 200, answer.content
    else:
        assert answer.status_code == 400
        assert answer.json()["errors"] == [{"field": "after", "code": "invalid_cursor",
                                            "detail": "A cursor this timeline did not give."}]


def test_cursors_survive_the_round_trip_whatever_their_bytes():
    """base64 without its padding: every id and rank comes back (some encodings end in the
    letters the padding is stripped next to)."""
    from omgeving.care.timeline import SOURCES, _decode, _encode

    moment = datetime.datetime(2026, 12, 7, 10, 30, 15, 123456, tzinfo=datetime.UTC)
    for pk in range(1, 400):
        for rank in range(len(SOURCES)):
            assert _decode(_encode(moment, rank, pk)) == (moment, rank, pk)


def test_items_made_in_the_same_moment_are_each_paged_once(api, joost):
    """Many items of one kind and of several kinds share `created` (a bulk import): a walk with
    pages of one still gives each exactly once, in (created, kind, id) order, newest first."""
    import time_machine

    j = joost
    author = {"client": j["joost"].pk, "author": j["pieter"].pk}
    with time_machine.travel(timezone.now(), tick=False):
        made = [api.post("/api/goals/", {**author, "title": f"Doel {n}"}, format="json")
                for n in range(3)]
        made += [api.post("/api/reports/", {**author, "kind": "report", "title": f"V {n}",
                                            "body": "."}, format="json") for n in range(2)]
    assert {a.status_code for a in made} == {201}
    walked, after = [], None
    for _ in range(20):  # bounded: a cursor that repeats must fail, not hang
        page = timeline(api, joost, "pieter", page_size=1, **({"after": after} if after else {}))
        walked += [(i["resource"], i["id"]) for i in page["results"]]
        if not page["next"]:
            break
        after = page["next"].split("after=")[1].split("&")[0]
    reports = sorted((a.json()["id"] for a in made[3:]), reverse=True)
    goals = sorted((a.json()["id"] for a in made[:3]), reverse=True)
    assert walked == [("reports", r) for r in reports] + [("goals", g) for g in goals]


def test_each_kind_of_item_shows_its_title_author_and_address(api, joost, world):
    page = timeline(api, joost, "joost", page_size=100)
    by_resource = {}
    for item in page["results"]:
        by_resource.setdefault(item["resource"], item)
    assert set(by_resource) == {"messages", "appointments", "goals", "goal-progress",
                                "reports", "documents"}
    for resource, item in by_resource.items():
        assert set(item) == {"category", "resource", "id", "client", "author", "title",
                             "created", "url"}
        assert item["client"] == joost["joost"].pk and item["title"], resource
        expected_url = (f"/api/goals/{world['goal'].pk}/progress/" if resource == "goal-progress"
                        else f"/api/{resource}/{item['id']}/")
        assert item["url"].endswith(expected_url), resource
    message = by_resource["messages"]
    assert message["title"] == world["thread"].subject
    progress = by_resource["goal-progress"]
    assert progress["title"].startswith(f"{world['goal'].title}: ")
    assert progress["title"].endswith("/10")
    appointment = by_resource["appointments"]
    assert appointment["author"] is not None


def test_an_inactive_client_sees_no_content_of_their_own(joost, world):
    from omgeving.care.timeline import timeline as read

    joost["joost"].is_active = False
    page = read(joost["joost"], readable=set(CONTENT))
    assert page.items == [] and page.after is None


def test_the_timeline_follows_created_not_ids(api, joost):
    """Items whose ids do not follow their moments (an import that sets them): still each
    once, newest first, across pages."""
    from omgeving.care.models import Goal

    j = joost
    author = {"client": j["joost"].pk, "author": j["pieter"].pk}
    ids = [api.post("/api/goals/", {**author, "title": f"Doel {n}"}, format="json").json()["id"]
           for n in range(4)]
    base = timezone.now() - datetime.timedelta(days=1)
    for minutes, pk in zip((40, 10, 30, 20), ids, strict=True):  # newest: ids[0], ids[2], …
        Goal.objects.filter(pk=pk).update(created=base + datetime.timedelta(minutes=minutes))
    walked, after = [], None
    for _ in range(20):  # bounded: a cursor that repeats must fail, not hang
        page = timeline(api, joost, "pieter", page_size=1, category="goals",
                        **({"after": after} if after else {}))
        walked += [i["id"] for i in page["results"]]
        if not page["next"]:
            break
        after = page["next"].split("after=")[1].split("&")[0]
    assert walked == [ids[0], ids[2], ids[3], ids[1]]


def test_a_last_page_that_is_full_has_no_next(api, joost):
    j = joost
    author = {"client": j["joost"].pk, "author": j["pieter"].pk}
    for n in range(3):
        api.post("/api/goals/", {**author, "title": f"Doel {n}"}, format="json")
    page = timeline(api, joost, "pieter", page_size=3, category="goals")
    assert len(page["results"]) == 3 and page["next"] is None
    page = timeline(api, joost, "pieter", page_size=2, category="goals")
    assert len(page["results"]) == 2 and page["next"] is not None


def test_a_category_asks_for_that_category_only(api, joost, world):
    for category in CONTENT:
        page = timeline(api, joost, "pieter", category=category)
        assert {i["category"] for i in page["results"]} == {category}, category


def test_cursors_carry_no_padding():
    from omgeving.care.timeline import _encode

    moment = datetime.datetime(2026, 12, 7, 10, 30, tzinfo=datetime.UTC)
    assert not any("=" in _encode(moment, 0, pk) for pk in range(1, 50))

"""The SDK and content around a client, against a live server: writes on a person's behalf,
a thread's messages and a goal's progress, a 3 MB document uploaded (multipart, with an
Idempotency-Key) and downloaded, and a person's timeline across pages."""

from __future__ import annotations

import uuid

import pytest
from omgeving_client import Client
from omgeving_client.errors import OmgevingError

from omgeving.care.models import Document
from omgeving.demo import worked_example
from omgeving.tenancy.models import FEATURES
from omgeving.tenancy.services import set_features

from ..helpers import APP_PASSWORD, make_app

PDF = b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024) + b"\n%%EOF\n"


@pytest.fixture
def world(live_server, org_a, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media")}}}
    set_features(org_a, on=FEATURES)
    make_app(org_a)
    people = {name: person.pk for name, person in worked_example(org_a).items()}
    client = Client(live_server.url, "org-a", "api", APP_PASSWORD)
    yield client, people
    client.close()


def test_content_through_the_sdk(world):
    sdk, p = world
    thread = sdk.message_threads.create(client=p["joost"], author=p["pieter"],
                                        subject="Rooster", participants=[p["ans"]])
    sdk.thread_messages.create(thread["id"], author=p["ans"], body="Prima")
    assert [m["body"] for m in sdk.thread_messages.list(thread["id"])] == ["Prima"]
    goal = sdk.goals.upsert("doel-1", client=p["joost"], author=p["pieter"], title="Fietsen")
    sdk.goal_progress.create(goal["id"], author=p["ans"], score=7)
    assert [g["score"] for g in sdk.goal_progress.list(goal["id"])] == [7]
    with pytest.raises(OmgevingError) as refused:
        sdk.reports.create(client=p["joost"], author=p["ans"], title="x", body="y")
    assert refused.value.status == 403 and refused.value.code == "author_not_permitted"
    document = sdk.documents.upload(client=p["joost"], author=p["pieter"], title="Plan",
                                    content=PDF, filename="plan.pdf")
    assert document["size"] == len(PDF) and document["content_type"] == "application/pdf"
    assert sdk.documents.download(document["id"]) == PDF
    items = list(sdk.timeline(p["pieter"], page_size=1))
    assert [i["category"] for i in items] == ["documents", "goals", "goals", "messages"]
    assert sdk.timeline_page(p["ans"])["not_authorised"] == [
        {"client": p["joost"], "not_authorised": ["reports", "documents"]}]


def test_an_upload_sent_twice_with_one_key_is_stored_once(world):
    sdk, p = world
    fields = {"client": str(p["joost"]), "author": str(p["pieter"]), "title": "Plan"}
    headers = {"Idempotency-Key": str(uuid.uuid4()),
               "Content-Type": "multipart/form-data; boundary=fixed-boundary"}
    answers = [sdk.request("POST", "/api/documents/", data=fields,
                           files={"file": ("plan.pdf", PDF)}, headers=headers)
               for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert answers[1].headers.get("Idempotent-Replayed") == "true"
    assert Document.objects.count() == 1

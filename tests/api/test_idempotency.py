"""Safe retries with Idempotency-Key: replay, reuse for another request, in use, per
application, kept 24 hours."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from omgeving.accounts.models import User
from omgeving.api.idempotency import fingerprint
from omgeving.api.models import IdempotencyKey
from omgeving.audit.models import AccessLogEntry
from omgeving.tokens.services import issue_token

from ..helpers import client_for, make_app
from .test_errors import assert_problem

pytestmark = pytest.mark.django_db
BODY = {"username": "joost", "roles": ["CLIENT"]}


def post(api, body=BODY, key="k-1", path="/api/users/"):
    return api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_replays_the_first_answer(api_a, org_a):
    first = post(api_a)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    again = post(api_a)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert User.objects.filter(username="joost").count() == 1
    # The replay shows the person again: a read in the access log.
    joost = User.objects.get(username="joost")
    actions = list(AccessLogEntry.objects.filter(subject=joost).order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["create", "read"]


def test_the_same_key_for_another_request_is_422(api_a):
    post(api_a)
    response = post(api_a, {**BODY, "username": "ans"})
    assert_problem(response, 422, "idempotency_key_reused")
    assert not User.objects.filter(username="ans").exists()


def test_a_key_still_in_use_is_409(api_a, org_a, app_a, rf):
    request = rf.post("/api/users/", data=b'{"username": "joost", "roles": ["CLIENT"]}',
                      content_type="application/json")
    IdempotencyKey.objects.create(organization=org_a, actor=app_a, key="k-1",
                                  fingerprint=fingerprint(request), created=timezone.now())
    response = api_a.generic("POST", "/api/users/", b'{"username": "joost", "roles": ["CLIENT"]}',
                             content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert_problem(response, 409, "idempotency_key_in_use")
    assert not User.objects.filter(username="joost").exists()


def test_keys_belong_to_one_application(api_a, org_a):
    post(api_a)
    other = client_for(org_a, issue_token(make_app(org_a, username="other")).token)
    response = post(other, {**BODY, "username": "ans"})  # the same key, another application
    assert response.status_code == 201 and "Idempotent-Replayed" not in response


def test_refusals_are_replayed_too_and_keys_expire(api_a, app_a, org_a):
    refused = post(api_a, {"username": "x"}, key="k-2")
    assert refused.status_code == 400
    assert post(api_a, {"username": "x"}, key="k-2")["Idempotent-Replayed"] == "true"
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        fresh = client_for(org_a, issue_token(app_a).token)
        assert "Idempotent-Replayed" not in post(fresh, {"username": "x"}, key="k-2")


@pytest.mark.parametrize("key", ["", "a" * 256, "spaces are not allowed", "ünïcode"])
def test_malformed_keys_are_400(api_a, key):
    response = api_a.post("/api/users/", BODY, format="json",
                          **{"HTTP_IDEMPOTENCY_KEY": key.encode().decode("latin-1")})
    assert_problem(response, 400, "invalid_idempotency_key")
    assert not User.objects.filter(username="joost").exists()


def test_without_a_token_the_key_changes_nothing(anon_a):
    response = post(anon_a)
    assert response.status_code == 401 and not IdempotencyKey.objects.exists()

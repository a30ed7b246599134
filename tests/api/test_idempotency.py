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
    IdempotencyKey.objects.create(organization=org_a, actor=app_a, key="k-1", owner="first",
                                  fingerprint=fingerprint(request), created=timezone.now(),
                                  lease_until=timezone.now() + datetime.timedelta(seconds=60))
    response = api_a.generic("POST", "/api/users/", b'{"username": "joost", "roles": ["CLIENT"]}',
                             content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert_problem(response, 409, "idempotency_key_in_use")
    assert 55 <= int(response["Retry-After"]) <= 61  # until the first run's lease ends
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


def test_a_retry_after_a_crash_runs_again_once_the_lease_ran_out(api_a, org_a, app_a, rf,
                                                                 settings):
    """A crash leaves the key claimed and running: before its lease ends a retry is told to
    wait; after it, the retry runs (the crashed run committed nothing: its answer would have
    been stored in the same transaction)."""
    from omgeving.api import idempotency

    body = b'{"username": "joost", "roles": ["CLIENT"]}'
    request = rf.post("/api/users/", data=body, content_type="application/json")
    row, answer = idempotency.claim(org_a, app_a, "k-1", fingerprint(request))
    assert answer is None  # claimed and committed; the process dies here
    retry = api_a.generic("POST", "/api/users/", body, content_type="application/json",
                          HTTP_IDEMPOTENCY_KEY="k-1")
    assert_problem(retry, 409, "idempotency_key_in_use")
    later = timezone.now() + datetime.timedelta(seconds=settings.IDEMPOTENCY_LEASE + 1)
    with time_machine.travel(later):
        fresh = client_for(org_a, issue_token(app_a).token)
        retry = fresh.generic("POST", "/api/users/", body, content_type="application/json",
                              HTTP_IDEMPOTENCY_KEY="k-1")
        assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
        again = fresh.generic("POST", "/api/users/", body, content_type="application/json",
                              HTTP_IDEMPOTENCY_KEY="k-1")
    assert again["Idempotent-Replayed"] == "true" and again.json() == retry.json()
    assert User.objects.filter(username="joost").count() == 1


def test_a_run_taken_over_after_its_lease_is_rolled_back(api_a, org_a, monkeypatch):
    """The answer is stored in the write's own transaction, and only while the claim is the
    run's: a run that outlived its lease and was taken over undoes its write."""
    from omgeving.accounts import services

    real = services.create_user

    def taken_over_meanwhile(*args, **kwargs):
        made = real(*args, **kwargs)
        IdempotencyKey.objects.all_organizations().filter(key="k-1").update(owner="the-retry")
        return made

    monkeypatch.setattr(services, "create_user", taken_over_meanwhile)
    response = post(api_a)
    assert_problem(response, 409, "idempotency_key_in_use")
    assert not User.objects.filter(username="joost").exists()
    assert IdempotencyKey.objects.get(key="k-1").state == "running"  # the retry's to finish


def test_expired_keys_are_pruned_by_the_sweep(api_a, app_a, org_a, org_b):
    from omgeving.webhooks.delivery import sweep
    from omgeving.webhooks.models import SweepSchedule

    post(api_a, key="old-1")
    post(api_a, {**BODY, "username": "ans"}, key="old-2")
    app_b = make_app(org_b, username="api-b")
    post(client_for(org_b, issue_token(app_b).token), key="old-b")
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        post(client_for(org_a, issue_token(app_a).token), {**BODY, "username": "tim"},
             key="new")
        again = post(client_for(org_a, issue_token(app_a).token), {**BODY, "username": "lisa"},
                     key="old-1")  # an expired key is free again: its old answer goes
        assert again.status_code == 201 and "Idempotent-Replayed" not in again
        SweepSchedule.objects.create(pk=1, next_run_at=timezone.now())
        sweep()
        assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {"new", "old-1"}


def test_what_is_shown_once_is_not_stored_nor_replayed(api_a, org_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = settings.WEBHOOK_ALLOW_HTTP = True
    hook = api_a.post("/api/webhooks/", {"url": "https://93.184.216.34/h",
                                         "events": ["users.*"]},
                      format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    person = post(api_a, {**BODY, "bsn": "111222333"}, key="p-1")
    assert hook.status_code == 201 and person.status_code == 201, person.content
    secret, bsn = hook.json()["secret"], person.json()["bsn"]
    assert secret.startswith("whsec_") and bsn == "111222333"
    for row in IdempotencyKey.objects.all():
        assert secret.encode() not in bytes(row.body) and b"111222333" not in bytes(row.body)
    replay = api_a.post("/api/webhooks/", {"url": "https://93.184.216.34/h",
                                           "events": ["users.*"]},
                        format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert replay["Idempotent-Replayed"] == "true" and replay.json()["secret"] is None
    assert replay["Idempotent-Omitted"] == "secret"
    assert replay.json()["id"] == hook.json()["id"]
    again = post(api_a, {**BODY, "bsn": "111222333"}, key="p-1")
    assert again.json()["bsn"] is None and again["Idempotent-Omitted"] == "bsn"


def test_a_replay_passes_the_grant_checks_of_now(api_a, app_a, org_a):
    assert post(api_a).status_code == 201
    app_a.grants = [g for g in app_a.grants if g != "users:write"]
    app_a.save()
    replay = post(api_a)
    assert_problem(replay, 403, "missing_grant")
    assert "Idempotent-Replayed" not in replay


def test_a_replay_logs_the_sensitive_fields_it_shows(api_a, org_a):
    post(api_a, {**BODY, "date_of_birth": "2012-03-04"})
    post(api_a, {**BODY, "date_of_birth": "2012-03-04"})
    joost = User.objects.get(username="joost")
    read = AccessLogEntry.objects.get(subject=joost, action="read")
    assert list(read.sensitive_fields) == ["date_of_birth"]

"""Delivery by the worker's code (delivery.run), in process, to a real HTTP receiver; the
worker processes themselves are tested in test_worker.py."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from omgeving.accounts.grants import Grant
from omgeving.tokens.services import issue_token
from omgeving.webhooks import delivery, ssrf
from omgeving.webhooks.models import Webhook, WebhookDelivery

from ..helpers import client_for, make_app
from .receiver import Answer, Receiver


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_BACKOFF_BASE = 0  # retries due at once; backoff() is tested on its own


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def api(org_a):
    return client_for(org_a, issue_token(make_app(org_a)).token)


def subscribe(api, url, events=("users.*",)) -> dict:
    answer = api.post("/api/webhooks/", {"url": url, "events": list(events)}, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def new_user(api, name: str) -> int:
    answer = api.post("/api/users/", {"username": name, "roles": ["CLIENT"],
                                      "first_name": "Secret", "last_name": "Person"},
                      format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def run_until_idle(webhook_id, rounds=20):
    for _ in range(rounds):
        if not delivery.run(webhook_id):
            return


def test_a_change_is_delivered_signed_per_standard_webhooks(api, receiver, org_a):
    hook = subscribe(api, receiver.url)
    user_id = new_user(api, "joost")
    assert delivery.run(hook["id"]) == 1
    [message] = receiver.received
    # The receiving side verifies with the standardwebhooks library and the shown secret.
    payload = Verifier(hook["secret"]).verify(message.body, message.headers)
    assert payload["type"] == "users.created" and payload["object_id"] == user_id
    assert set(payload) == {"id", "type", "object_id", "external_id", "version", "at", "cursor"}
    assert payload["id"] == message.headers["webhook-id"] and payload["version"] == 1
    assert b"joost" not in message.body and b"Secret" not in message.body  # no personal data
    with pytest.raises(WebhookVerificationError):  # another secret does not verify
        Verifier("whsec_" + "A" * 43 + "=").verify(message.body, message.headers)
    # The cursor reads on in the feed from exactly this event.
    after = api.get(f"/api/changes/?after={payload['cursor']}").json()
    assert after["results"] == []
    row = WebhookDelivery.objects.for_organization(org_a).get()
    assert row.state == "delivered" and row.attempts == 1 and row.status_code == 204
    assert delivery.run(hook["id"]) == 0  # nothing more due


def test_secret_is_shown_on_create_only(api, receiver):
    hook = subscribe(api, receiver.url)
    assert hook["secret"].startswith("whsec_")
    shown = api.get(f"/api/webhooks/{hook['id']}/").json()
    assert "secret" not in shown and hook["secret"] not in json.dumps(shown)
    assert hook["secret"] not in json.dumps(api.get("/api/webhooks/").json())


def test_retries_after_receiver_errors_and_timeouts(api, receiver, settings, org_a):
    settings.WEBHOOK_TIMEOUT = 1
    receiver.answers.extend([Answer(500), Answer(204, delay=2.5), Answer(503)])
    hook = subscribe(api, receiver.url)
    new_user(api, "joost")
    run_until_idle(hook["id"])
    row = WebhookDelivery.objects.for_organization(org_a).get()
    assert row.state == "delivered" and row.attempts == 4
    assert [a["status_code"] for a in row.attempt_log] == [500, None, 503, 204]
    assert "Timed out" in row.attempt_log[1]["error"]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # one event, 4 tries


def test_a_failed_attempt_queues_its_retry_with_backoff(api, receiver, settings, org_a,
                                                        django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.WEBHOOK_BACKOFF_BASE = 60
    receiver.default = Answer(500)
    hook = subscribe(api, receiver.url)
    new_user(api, "joost")
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.run(hook["id"]) == 1
    row = WebhookDelivery.objects.for_organization(org_a).get()
    assert row.state == "retrying"
    wait = (row.next_retry_at - before).total_seconds()
    assert 30 <= wait <= 61  # 60 s with jitter (50-100 %)
    queued = DBTaskResult.objects.filter(task_path__endswith="tasks.deliver").latest("enqueued_at")
    assert queued.run_after == row.next_retry_at and queued.args_kwargs["args"] == [hook["id"]]
    assert delivery.run(hook["id"]) == 0  # not due yet: the later run does it
    with time_machine.travel(row.next_retry_at + datetime.timedelta(seconds=1)):
        assert delivery.run(hook["id"]) == 1


def test_backoff_doubles_with_jitter_up_to_the_maximum(settings):
    settings.WEBHOOK_BACKOFF_BASE, settings.WEBHOOK_BACKOFF_MAX = 5, 3600
    for attempts, ceiling in ((1, 5), (2, 10), (5, 80), (20, 3600)):
        waits = [delivery.backoff(attempts) for _ in range(200)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert max(waits) - min(waits) > ceiling / 10  # jitter spreads them


def test_events_arrive_in_feed_order_and_wait_behind_a_failing_one(api, receiver, org_a):
    receiver.answers.extend([Answer(204), Answer(500), Answer(500)])
    hook = subscribe(api, receiver.url)
    ids = [new_user(api, f"u{n}") for n in range(5)]
    run_until_idle(hook["id"])
    types = [json.loads(r.body)["object_id"] for r in receiver.received]
    # the second failed twice; the third was not sent before the second got through
    assert types == [ids[0], ids[1], ids[1], ids[1], ids[2], ids[3], ids[4]]
    delivered = [json.loads(r.body)["object_id"] for r in receiver.received if r.status == 204]
    assert delivered == ids


def test_after_the_retry_window_the_webhook_is_switched_off_and_resumes(api, receiver, settings,
                                                                       org_a):
    receiver.default = Answer(500)
    hook = subscribe(api, receiver.url)
    first = new_user(api, "joost")
    assert delivery.run(hook["id"]) == 1
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=24, seconds=5)):
        assert delivery.run(hook["id"]) == 1
    webhook = Webhook.objects.for_organization(org_a).get()
    assert not webhook.is_active and "could not be delivered for 24" in webhook.disabled_reason
    assert "Answered 500" in webhook.disabled_reason
    shown = api.get(f"/api/webhooks/{hook['id']}/").json()
    assert shown["is_active"] is False and shown["disabled_reason"] == webhook.disabled_reason
    assert delivery.run(hook["id"]) == 0  # off: nothing is sent
    # Switched on again, it starts with the event it gave up on.
    receiver.default = Answer(204)
    assert api.patch(f"/api/webhooks/{hook['id']}/", {"is_active": True},
                     format="json").json()["disabled_reason"] == ""
    run_until_idle(hook["id"])
    assert json.loads(receiver.received[-1].body)["object_id"] == first
    assert receiver.received[-1].status == 204


def test_only_subscribed_events_the_application_may_read(api, receiver, org_a):
    hook = subscribe(api, receiver.url, events=["users.updated"])
    user_id = new_user(api, "joost")
    assert api.patch(f"/api/users/{user_id}/", {"first_name": "J"},
                     format="json").status_code == 200
    run_until_idle(hook["id"])
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["users.updated"]
    # An application without users:read gets no users events, whatever it subscribed to.
    reader = make_app(org_a, username="no-users", grants=[Grant.WEBHOOKS, Grant.USERS_WRITE])
    other = client_for(org_a, issue_token(reader).token)
    blind = subscribe(other, receiver.url, events=["*"])
    new_user(api, "lisa")
    assert delivery.run(blind["id"]) == 0
    assert Webhook.objects.for_organization(org_a).get(pk=blind["id"]).cursor > 0


def test_secret_rotation_signs_with_both_for_24_hours(api, receiver, org_a):
    hook = subscribe(api, receiver.url)
    rotated = api.post(f"/api/webhooks/{hook['id']}/rotate-secret/").json()
    assert rotated["secret"] != hook["secret"] and rotated["previous_secret_valid_until"]
    new_user(api, "joost")
    delivery.run(hook["id"])
    message = receiver.received[-1]
    assert len(message.headers["webhook-signature"].split(" ")) == 2
    for secret in (hook["secret"], rotated["secret"]):  # either verifies
        Verifier(secret).verify(message.body, message.headers)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=24, minutes=1)):
        new_user(client_for(org_a, issue_token(make_app(org_a, username="later")).token),
                 "lisa")
        delivery.run(hook["id"])
        message = receiver.received[-1]
        Verifier(rotated["secret"]).verify(message.body, message.headers)
        with pytest.raises(WebhookVerificationError):
            Verifier(hook["secret"]).verify(message.body, message.headers)


def test_redeliver_and_ping(api, receiver, org_a):
    hook = subscribe(api, receiver.url)
    new_user(api, "joost")
    delivery.run(hook["id"])
    listed = api.get(f"/api/webhooks/{hook['id']}/deliveries/").json()["results"]
    assert [d["state"] for d in listed] == ["delivered"]
    again = api.post(f"/api/webhooks/{hook['id']}/deliveries/{listed[0]['id']}/redeliver/")
    assert again.status_code == 202 and again.json()["state"] == "pending"
    ping = api.post(f"/api/webhooks/{hook['id']}/ping/")
    assert ping.status_code == 202 and ping.json()["event_type"] == "webhook.ping"
    run_until_idle(hook["id"])
    first, second, third = (json.loads(r.body) for r in receiver.received)
    assert second == first  # the same event, the same id
    assert receiver.received[1].headers["webhook-id"] == first["id"]
    assert third["type"] == "webhook.ping" and third["object_id"] == hook["id"]
    Verifier(hook["secret"]).verify(receiver.received[2].body, receiver.received[2].headers)
    states = [d["state"] for d in api.get(f"/api/webhooks/{hook['id']}/deliveries/").json()[
        "results"]]
    assert states == ["delivered", "delivered", "delivered"]


def test_a_switched_off_webhook_is_neither_pinged_nor_redelivered(api, receiver, org_a):
    hook = subscribe(api, receiver.url)
    new_user(api, "joost")
    delivery.run(hook["id"])
    [delivered] = api.get(f"/api/webhooks/{hook['id']}/deliveries/").json()["results"]
    api.patch(f"/api/webhooks/{hook['id']}/", {"is_active": False}, format="json")
    for path in (f"/api/webhooks/{hook['id']}/ping/",
                 f"/api/webhooks/{hook['id']}/deliveries/{delivered['id']}/redeliver/"):
        answer = api.post(path)
        assert answer.status_code == 400 and answer.json()["code"] == "webhook_inactive"
    assert WebhookDelivery.objects.for_organization(org_a).count() == 1  # nothing queued


def test_another_applications_webhooks_do_not_exist_for_it(api, receiver, org_a):
    hook = subscribe(api, receiver.url)
    other = client_for(org_a, issue_token(make_app(org_a, username="other")).token)
    assert other.get("/api/webhooks/").json()["results"] == []
    assert other.get(f"/api/webhooks/{hook['id']}/").status_code == 404
    assert other.get(f"/api/webhooks/{hook['id']}/deliveries/").status_code == 404
    assert other.post(f"/api/webhooks/{hook['id']}/ping/").status_code == 404
    assert other.delete(f"/api/webhooks/{hook['id']}/").status_code == 404
    assert api.delete(f"/api/webhooks/{hook['id']}/").status_code == 204


def field_error(answer, field="url") -> dict:
    assert answer.status_code == 400, answer.content
    [error] = [e for e in answer.json()["errors"] if e["field"] == field]
    return error


def test_unknown_events_are_refused(api, receiver):
    for events in (["patients.*"], ["users.renamed"], ["users"], [], "users.*"):
        answer = api.post("/api/webhooks/", {"url": receiver.url, "events": events},
                          format="json")
        assert answer.status_code == 400, events
    answer = api.post("/api/webhooks/", {"url": receiver.url, "events": ["patients.*"]},
                      format="json")
    assert field_error(answer, "events")["code"] == "unknown_event"


# --- the SSRF guard --------------------------------------------------------------------------

@pytest.mark.parametrize("url, reason", [
    ("https://127.0.0.1/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://10.1.2.3/hook", "private"),
    ("https://192.168.0.10/hook", "private"),
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("https://[::ffff:10.0.0.1]/hook", "private"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("http://93.184.216.34/hook", "https"),
    ("https://user:pw@93.184.216.34/hook", "password"),
    ("ftp://93.184.216.34/hook", "https"),
    ("https://[2002:7f00:1::]/hook", "non-public ipv4"),  # 6to4 around 127.0.0.1
    ("https://[2002:a9fe:a9fe::]/hook", "metadata"),  # 6to4 around 169.254.169.254
    ("https://[64:ff9b::a00:1]/hook", "non-public ipv4"),  # NAT64 around 10.0.0.1
    ("https://[fec0::1]/hook", "site-local"),
    ("https://93.184.216.34:22/hook", "port 443"),
    ("https://93.184.216.34:8080/hook", "port 443"),
])
def test_refused_urls_answer_url_not_allowed(api, settings, url, reason):
    settings.WEBHOOK_ALLOW_PRIVATE = settings.WEBHOOK_ALLOW_HTTP = False
    answer = api.post("/api/webhooks/", {"url": url, "events": ["users.*"]}, format="json")
    error = field_error(answer)
    assert error["code"] == "url_not_allowed" and reason in error["detail"].lower(), error
    if reason in ("loopback", "private", "https", "port 443"):  # the way out for developers
        assert "OMGEVING_WEBHOOK_ALLOW_" in error["detail"], error


def test_metadata_stays_refused_with_private_allowed(api):
    answer = api.post("/api/webhooks/", {"url": "http://169.254.169.254/", "events": ["*"]},
                      format="json")
    assert field_error(answer)["code"] == "url_not_allowed"


def test_a_name_resolving_to_a_private_address_is_refused(api, settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE = settings.WEBHOOK_ALLOW_HTTP = False
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["93.184.216.34", "10.0.0.7"])
    answer = api.post("/api/webhooks/", {"url": "https://hooks.example.org/x",
                                         "events": ["*"]}, format="json")
    assert field_error(answer)["code"] == "url_not_allowed"
    assert "10.0.0.7" in field_error(answer)["detail"]


def test_dns_that_changes_after_subscribing_is_refused_at_delivery(api, receiver, settings,
                                                                  monkeypatch, org_a):
    """Subscribed while the name pointed to a public address; at delivery it points to the
    loopback receiver: nothing reaches it, and the delivery says why."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["93.184.216.34"])
    port = receiver.server.server_address[1]
    hook = subscribe(api, f"http://rebinding.example.org:{port}/hook")
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["127.0.0.1"])
    new_user(api, "joost")
    assert delivery.run(hook["id"]) == 1
    assert receiver.received == []
    row = WebhookDelivery.objects.for_organization(org_a).get()
    assert row.state == "retrying" and "loopback" in row.error and row.status_code is None


def test_redirects_are_not_followed(api, receiver, org_a):
    with Receiver() as elsewhere:
        receiver.default = Answer(302, headers={"Location": elsewhere.url})
        hook = subscribe(api, receiver.url)
        new_user(api, "joost")
        assert delivery.run(hook["id"]) == 1
        assert len(receiver.received) == 1 and elsewhere.received == []
    row = WebhookDelivery.objects.for_organization(org_a).get()
    assert row.status_code == 302 and "redirect" in row.error and row.state == "retrying"


@pytest.mark.parametrize("change, reason", [
    (lambda app: setattr(app, "is_active", False), "The application was deactivated."),
    (lambda app: setattr(app, "grants", [g for g in app.grants if g != "webhooks"]),
     "The application no longer holds the grant 'webhooks'."),
    (lambda app: setattr(app, "is_application", False),
     "The user is no longer an Application user."),
])
def test_an_application_that_may_no_longer_receive_is_switched_off(api, receiver, org_a,
                                                                   change, reason):
    """However the application changes (here directly on the model, as the admin or the CLI
    would), the next delivery run switches its webhooks off and says why."""
    from omgeving.accounts.models import User

    hook = subscribe(api, receiver.url)
    new_user(api, "joost")
    app = User.objects.for_organization(org_a).get(username="api")
    change(app)
    app.save()
    assert delivery.run(hook["id"]) == 0 and receiver.received == []
    webhook = Webhook.objects.for_organization(org_a).get()
    assert not webhook.is_active and webhook.disabled_reason == reason


def test_nothing_goes_out_while_the_organisation_is_switched_off(api, receiver, org_a):
    hook = subscribe(api, receiver.url)
    new_user(api, "joost")
    org_a.is_active = False
    org_a.save()
    assert delivery.run(hook["id"]) == 0 and receiver.received == []
    assert Webhook.objects.for_organization(org_a).get().is_active  # kept for later
    org_a.is_active = True
    org_a.save()
    assert delivery.run(hook["id"]) == 1


def test_a_change_by_the_subscriber_leaves_the_workers_state_alone(api, receiver, org_a,
                                                                   monkeypatch):
    """A PATCH read the webhook before the worker moved on: it writes only its own fields,
    so the worker's position and lease stay as the worker wrote them; an unchanged URL is
    not looked up again (its host may be down; every delivery checks it anyway)."""
    hook = subscribe(api, receiver.url)
    Webhook.objects.for_organization(org_a).update(cursor=41, lease_owner="w1",
                                                   lease_until=timezone.now())
    monkeypatch.setattr(ssrf, "check", lambda url: (_ for _ in ()).throw(
        ssrf.Refused("looked up")))
    answer = api.patch(f"/api/webhooks/{hook['id']}/", {"description": "ECD Noord"},
                       format="json")
    assert answer.status_code == 200, answer.content
    webhook = Webhook.objects.for_organization(org_a).get()
    assert (webhook.cursor, webhook.lease_owner) == (41, "w1")
    assert webhook.description == "ECD Noord"
    moved = api.patch(f"/api/webhooks/{hook['id']}/", {"url": receiver.url + "/new"},
                      format="json")
    assert moved.status_code == 400 and moved.json()["errors"][0]["code"] == "url_not_allowed"


def test_at_most_ten_webhooks_per_application(api, receiver, org_a):
    for _ in range(10):
        subscribe(api, receiver.url)
    answer = api.post("/api/webhooks/", {"url": receiver.url, "events": ["*"]}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "too_many_webhooks"
    other = client_for(org_a, issue_token(make_app(org_a, username="other")).token)
    assert other.post("/api/webhooks/", {"url": receiver.url, "events": ["*"]},
                      format="json").status_code == 201  # per application

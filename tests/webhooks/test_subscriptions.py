"""The subscription service (omgeving/webhooks/services.py) below the delivery: each refusal
on its field in its words, a secret's 32 bytes, the ping's and the redelivery's rows, the
worker woken after each, switching on and off without touching what did not change, and the
old secret's last second. Written for what mutation testing found unguarded
(docs/testing.md)."""

from __future__ import annotations

import base64
import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from omgeving.changes import services as changes
from omgeving.changes.models import ChangeEvent
from omgeving.errors import ConflictError
from omgeving.webhooks import services
from omgeving.webhooks.models import Webhook, WebhookDelivery

from ..helpers import make_app, refusal

pytestmark = pytest.mark.django_db
ONE_EVENT = "Name at least one event, e.g. `users.*`."


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = settings.WEBHOOK_ALLOW_HTTP = True


@pytest.fixture
def app(org_a):
    return make_app(org_a)


def subscribe(org, app, events=("users.*",), **fields) -> Webhook:
    return services.save_webhook(Webhook(organization=org, url="http://127.0.0.1:9/hook",
                                         events=events if isinstance(events, str)
                                         else list(events), **fields), app)


def unknown(event) -> str:
    return (f"Unknown event '{event}': resources are {', '.join(sorted(changes.resources()))}"
            f"; actions created, updated, deleted.")


@pytest.mark.parametrize("events, message", [
    ([], ONE_EVENT),
    ("users.*", ONE_EVENT),  # a string, not a list of them
    (["Users.*"], "'Users.*' is not `*`, `<resource>.*` or `<resource>.<action>`."),
    (["users"], "'users' is not `*`, `<resource>.*` or `<resource>.<action>`."),
    (["patients.*"], unknown("patients.*")),
    (["users.renamed"], unknown("users.renamed")),
])
def test_each_refused_event_list_is_named_on_events(org_a, app, events, message):
    with pytest.raises(ValidationError) as exc:
        subscribe(org_a, app, events)
    assert refusal(exc) == ("events", "unknown_event", message)
    assert not Webhook.objects.exists()


def test_events_are_kept_once_in_the_order_given(org_a, app):
    hook = subscribe(org_a, app, ["users.*", "relations.created", "users.*", "*"])
    assert hook.events == ["users.*", "relations.created", "*"]


@pytest.mark.parametrize("patterns, event_type, expected", [
    (["*"], "relations.deleted", True),
    (["users.*"], "users.updated", True),
    (["users.created"], "users.created", True),
    (["users.created"], "users.updated", False),
    (["relations.*"], "users.created", False),
])
def test_a_pattern_matches_its_events_only(patterns, event_type, expected):
    assert services.matches(patterns, event_type) is expected


def test_a_new_secret_is_whsec_and_32_random_bytes():
    first, second = services.new_secret(), services.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32


def test_a_subscription_belongs_to_the_application_named_or_else_the_writer(org_a, app):
    other = make_app(org_a, "other")
    assert subscribe(org_a, app).owner == app
    assert subscribe(org_a, app, owner=other).owner == other  # e.g. made for it by a script


def test_the_first_subscription_starts_at_the_feeds_present_position(org_a, app):
    """It delivers what commits after it: its cursor is the organisation's last event, 0 in
    an organisation whose feed has none yet."""
    ChangeEvent.objects.filter(organization=org_a).delete()
    changes.ChangeCounter.objects.filter(organization=org_a).delete()
    assert subscribe(org_a, app).cursor == 0
    make_app(org_a, "later")  # an event in the feed
    assert subscribe(org_a, app).cursor == changes.ChangeCounter.objects.get(
        organization=org_a).last_seq > 0


def test_the_eleventh_subscription_is_refused_in_words(org_a, app):
    for _ in range(services.MAX_PER_APPLICATION):
        subscribe(org_a, app)
    with pytest.raises(ConflictError) as exc:
        subscribe(org_a, app)
    assert (exc.value.code, exc.value.message) == (
        "too_many_webhooks", "This application has 10 webhooks already: delete one first.")


def queued(hook) -> int:
    return DBTaskResult.objects.filter(task_path__endswith="tasks.deliver", status="READY",
                                       args_kwargs__args=[hook.pk]).count()


def test_a_ping_is_one_row_of_its_own_and_wakes_the_worker(org_a, app,
                                                          django_capture_on_commit_callbacks):
    hook = subscribe(org_a, app)
    with django_capture_on_commit_callbacks(execute=True):
        ping = services.ping(hook)
    assert re.fullmatch(r"ping_[0-9a-f]{24}", ping.event_id)
    assert (ping.kind, ping.event_type, ping.seq) == ("ping", "webhook.ping", None)
    payload = WebhookDelivery.objects.get(pk=ping.pk).payload
    assert payload == {"id": ping.event_id, "type": "webhook.ping", "object_id": hook.pk,
                       "external_id": None, "version": None, "at": payload["at"],
                       "cursor": None}
    assert queued(hook) == 1 and Webhook.objects.get(pk=hook.pk).queued_at is not None


def test_a_redelivery_copies_the_event_and_wakes_the_worker(org_a, app,
                                                           django_capture_on_commit_callbacks):
    hook = subscribe(org_a, app)
    make_app(org_a, "joost-app")
    event = ChangeEvent.objects.filter(organization=org_a).latest("seq")
    first = WebhookDelivery.objects.create(
        organization=org_a, webhook=hook, kind="event", event_id=f"evt_a_{event.seq}",
        event_type="users.created", seq=event.seq,
        payload=services.payload_of(event, org_a))
    assert first.payload["id"] == f"evt_{org_a.slug}_{event.seq}"
    with django_capture_on_commit_callbacks(execute=True):
        again = services.redeliver(first)
    assert (again.kind, again.event_id, again.event_type, again.seq, again.payload) == (
        "redelivery", first.event_id, "users.created", event.seq, first.payload)
    assert queued(hook) == 1


def test_a_switched_off_subscription_is_not_pinged_in_words(org_a, app):
    hook = services.set_active(subscribe(org_a, app), False)
    with pytest.raises(ValidationError) as exc:
        services.ping(hook)
    assert (exc.value.code, exc.value.message) == ("webhook_inactive",
                                                   "Switch the webhook on first.")


def test_switching_on_clears_the_reason_and_wakes_the_worker(org_a, app,
                                                           django_capture_on_commit_callbacks):
    hook = services.set_active(subscribe(org_a, app), False)
    saved = Webhook.objects.get(pk=hook.pk)
    assert (saved.is_active, saved.disabled_reason) == (False, "Switched off by the subscriber.")
    assert saved.disabled_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        services.set_active(saved, True)
    saved = Webhook.objects.get(pk=hook.pk)
    assert (saved.is_active, saved.disabled_reason, saved.disabled_at) == (True, "", None)
    assert queued(hook) == 1


def test_a_change_that_keeps_the_state_keeps_the_reason_and_the_retry(org_a, app):
    """Changing the description of a switched-off subscription leaves why and when it went
    off; of a switched-on one, it leaves the worker's next retry and sets no reason."""
    retry = timezone.now() + datetime.timedelta(minutes=5)
    off = services.set_active(subscribe(org_a, app), False, reason="Receiver gone.")
    on = subscribe(org_a, app)
    Webhook.objects.filter(pk=on.pk).update(next_attempt_at=retry)
    for hook in (off, on):
        hook = Webhook.objects.get(pk=hook.pk)
        before = (hook.is_active, hook.disabled_reason, hook.disabled_at)
        hook.description = "ECD Noord"
        services.save_webhook(hook, app)
        saved = Webhook.objects.get(pk=hook.pk)
        assert (saved.is_active, saved.disabled_reason, saved.disabled_at) == before
        assert saved.description == "ECD Noord"
    assert Webhook.objects.get(pk=on.pk).next_attempt_at == retry
    assert Webhook.objects.get(pk=off.pk).disabled_reason == "Receiver gone."


def _describe(hook):
    hook.description = "ECD Noord"
    return services.save_webhook(hook)


@pytest.mark.parametrize("write", [
    lambda hook: services.set_active(hook, False),
    lambda hook: services.rotate_secret(hook),
    _describe,
])
def test_a_switch_or_a_rotation_leaves_the_workers_position_alone(org_a, app, write):
    """Read before the worker moved on; written after: only its own fields are written."""
    hook = Webhook.objects.get(pk=subscribe(org_a, app).pk)
    Webhook.objects.filter(pk=hook.pk).update(cursor=41, lease_owner="w1")
    write(hook)
    saved = Webhook.objects.get(pk=hook.pk)
    assert (saved.cursor, saved.lease_owner) == (41, "w1")


def test_the_old_secret_signs_until_its_last_moment_and_not_at_it(org_a, app):
    hook = services.rotate_secret(subscribe(org_a, app))
    until = hook.previous_secret_until
    before = until - datetime.timedelta(microseconds=1)
    assert services.signing_secrets(hook, now=before) == [hook.secret, hook.previous_secret]
    assert services.signing_secrets(hook, now=until) == [hook.secret]
    assert services.signing_secrets(hook) == [hook.secret, hook.previous_secret]  # now


def test_a_second_wake_up_is_not_queued_while_the_first_waits(org_a, app):
    hook = subscribe(org_a, app)
    assert services.wake(hook.pk) is True
    assert services.wake(hook.pk) is False
    assert queued(hook) == 1
    assert services.wake(hook.pk, force=True) is True  # the sweep's and a retry's
    assert queued(hook) == 2


def test_the_subscriber_switches_off_and_on_through_the_same_save(
        org_a, app, django_capture_on_commit_callbacks):
    """The API's PATCH of `is_active`: off says the subscriber did it, on wakes the worker."""
    hook = subscribe(org_a, app)
    hook.is_active = False
    services.save_webhook(hook, app)
    saved = Webhook.objects.get(pk=hook.pk)
    assert (saved.is_active, saved.disabled_reason) == (False, "Switched off by the subscriber.")
    saved.is_active = True
    with django_capture_on_commit_callbacks(execute=True):
        services.save_webhook(saved, app)
    assert Webhook.objects.get(pk=hook.pk).is_active and queued(hook) == 1

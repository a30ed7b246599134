"""The wake-ups around delivery: one per committed transaction and subscription, and the
recurring sweep that recovers a lost one (the process died between commit and queueing, or
a worker died holding the lease)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from omgeving.tokens.services import issue_token
from omgeving.webhooks import delivery
from omgeving.webhooks.models import SweepSchedule, Webhook

from ..helpers import client_for, make_app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(org_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = settings.WEBHOOK_ALLOW_HTTP = True
    return client_for(org_a, issue_token(make_app(org_a)).token)


def queued(task="deliver"):
    return DBTaskResult.objects.filter(task_path__endswith=f"tasks.{task}",
                                       status="READY").count()


def subscribe(api) -> int:
    answer = api.post("/api/webhooks/", {"url": "http://127.0.0.1:9/hook", "events": ["*"]},
                      format="json")
    assert answer.status_code == 201
    return answer.json()["id"]


def test_a_committed_change_wakes_each_subscription_once(api):
    subscribe(api)
    subscribe(api)
    before = queued()
    answer = api.post("/api/users/bulk/", {"items": [
        {"external_id": f"e{n}", "username": f"u{n}", "roles": ["CLIENT"]} for n in range(50)]},
        format="json")
    assert answer.status_code == 200
    assert queued() - before == 2  # 50 events, one transaction: one run per subscription
    api.post("/api/users/", {"username": "joost", "roles": ["CLIENT"]}, format="json")
    assert queued() - before == 2  # both already woken and not yet run: nothing more


def test_a_rolled_back_change_wakes_nobody(api):
    subscribe(api)
    before = queued()
    answer = api.post("/api/users/", {"username": "x", "roles": ["NOPE"]}, format="json")
    assert answer.status_code == 400 and queued() == before


def test_the_sweep_wakes_a_subscription_whose_wake_up_was_lost(api, org_a):
    hook = subscribe(api)
    api.post("/api/users/", {"username": "joost", "roles": ["CLIENT"]}, format="json")
    DBTaskResult.objects.all().delete()  # the wake-up is lost
    Webhook.objects.for_organization(org_a).update(queued_at=None)
    delivery.ensure_sweep()
    assert queued("sweep") == 1
    assert delivery.sweep() == 1  # found behind the feed, woken
    assert DBTaskResult.objects.get(task_path__endswith="tasks.deliver").args_kwargs[
        "args"] == [hook]
    assert queued("sweep") == 2  # the first, plus its successor queued by the sweep


def test_the_sweep_leaves_a_subscription_with_a_live_lease(api, org_a):
    subscribe(api)
    api.post("/api/users/", {"username": "joost", "roles": ["CLIENT"]}, format="json")
    Webhook.objects.for_organization(org_a).update(
        queued_at=None, lease_owner="someone", lease_until=timezone.now()
        + datetime.timedelta(seconds=60))
    delivery.ensure_sweep()
    assert delivery.sweep() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=61)):
        SweepSchedule.objects.update(next_run_at=timezone.now())
        assert delivery.sweep() == 1  # the dead worker's lease ran out


def test_the_sweep_prunes_old_delivery_logs_and_finished_task_rows(api, org_a, settings):
    from omgeving.webhooks import services
    from omgeving.webhooks.models import WebhookDelivery

    webhook = Webhook.objects.for_organization(org_a).get(pk=subscribe(api))
    old, recent = services.ping(webhook), services.ping(webhook)
    WebhookDelivery.objects.for_organization(org_a).filter(pk=old.pk).update(
        created=timezone.now() - datetime.timedelta(seconds=settings.CHANGES_RETENTION + 60))
    DBTaskResult.objects.update(status="SUCCESSFUL", finished_at=timezone.now()
                                - datetime.timedelta(hours=2))
    delivery.ensure_sweep()  # (queues the first sweep: READY, kept)
    delivery.sweep()
    assert list(WebhookDelivery.objects.for_organization(org_a).values_list(
        "pk", flat=True)) == [recent.pk]
    assert not DBTaskResult.objects.filter(status="SUCCESSFUL").exists()
    assert DBTaskResult.objects.filter(status="READY").exists()


def test_one_chain_of_sweeps(api):
    due = subscribe(api)  # a retry whose time has come: the sweep that runs wakes it
    Webhook.objects.all_organizations().filter(pk=due).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=1))
    assert delivery.ensure_sweep() is True
    assert delivery.ensure_sweep() is False  # alive: not started twice
    assert delivery.sweep() == 1 and queued("sweep") == 2
    assert delivery.sweep() == 0  # a second chain finds the time taken, wakes none, ends
    assert queued("sweep") == 2
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        assert delivery.ensure_sweep() is True  # overdue: the chain died, start one

"""`omgeving worker` processes (Django's task worker) delivering from the suite's database:
a worker killed in the middle of a delivery loses nothing, and two workers side by side
never deliver one subscription's events at the same time or out of order. Runs on SQLite and
on PostgreSQL (make test runs the suite on both)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import time

import pytest
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from omgeving.tokens.services import issue_token
from omgeving.webhooks.models import Webhook, WebhookDelivery

from ..helpers import client_for, make_app
from ..serving.test_slow_clients import BIN
from ..serving.test_two_servers import _database_url
from .receiver import Answer, Receiver


@pytest.fixture
def env(tmp_path, transactional_db, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = settings.WEBHOOK_ALLOW_HTTP = True
    variables = {**os.environ, "DATABASE_URL": _database_url(), "OMGEVING_VAR_DIR": str(tmp_path),
                 "OMGEVING_SECRET_KEY": settings.SECRET_KEY, "OMGEVING_LOG_LEVEL": "WARNING",
                 "OMGEVING_WEBHOOK_ALLOW_PRIVATE": "1", "OMGEVING_WEBHOOK_ALLOW_HTTP": "1",
                 "OMGEVING_WEBHOOK_LEASE": "3", "OMGEVING_WEBHOOK_SWEEP_INTERVAL": "1"}
    variables.pop("DJANGO_SETTINGS_MODULE", None)
    return variables


class Workers:
    def __init__(self, env):
        self.env, self.processes = env, []

    def start(self) -> subprocess.Popen:
        process = subprocess.Popen([BIN / "omgeving", "worker", "--interval", "0.05",
                                    "-v", "0"], env=self.env, stdout=subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            process.wait(20)


@pytest.fixture
def workers(env):
    pool = Workers(env)
    yield pool
    pool.stop()


def runs_pending() -> bool:
    """Whether a delivery run is queued and due, or running, in any worker."""
    return DBTaskResult.objects.filter(
        task_path__endswith="tasks.deliver", status__in=["READY", "RUNNING"]).filter(
        Q(run_after__isnull=True) | Q(run_after__lte=timezone.now())).exists()


def setup_hook(org, url):
    api = client_for(org, issue_token(make_app(org)).token)
    answer = api.post("/api/webhooks/", {"url": url, "events": ["users.*"]}, format="json")
    assert answer.status_code == 201, answer.content
    return api, answer.json()


def new_users(api, count, prefix="u"):
    ids = []
    for n in range(count):
        answer = api.post("/api/users/", {"username": f"{prefix}{n}", "roles": ["CLIENT"]},
                          format="json")
        assert answer.status_code == 201, answer.content
        ids.append(answer.json()["id"])
    return ids


def test_a_worker_killed_mid_delivery_loses_nothing(org_a, workers):
    with Receiver() as receiver:
        receiver.answers.append(Answer(204, delay=8))  # the first attempt hangs
        api, hook = setup_hook(org_a, receiver.url)
        first = workers.start()
        [user] = new_users(api, 1)
        deadline = time.monotonic() + 20
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
        assert receiver.received, "the first worker never delivered"
        first.send_signal(signal.SIGKILL)  # dies in the middle of the attempt
        first.wait(10)
        workers.start()
        # After the dead worker's lease (3 s) the sweep finds the event undelivered.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
                len(receiver.received) > 1 and receiver.received[1].ended):
            time.sleep(0.02)
        assert len(receiver.received) == 2, "the event was not delivered after the kill"
        again = receiver.received[1]
    payload = json.loads(again.body)
    assert payload["object_id"] == user and again.status == 204
    assert again.headers["webhook-id"] == receiver.received[0].headers["webhook-id"]
    # The worker records the outcome after the receiver has answered: wait for its commit.
    rows = WebhookDelivery.objects.for_organization(org_a)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not rows.filter(state="delivered").exists():
        time.sleep(0.05)
    row = rows.get()
    assert row.state == "delivered"
    assert Webhook.objects.for_organization(org_a).get().cursor == row.seq


def test_two_workers_never_deliver_one_subscription_at_once(org_a, workers):
    """Two workers, 25 changes committed one by one (each wakes the subscription, so both
    workers get its tasks): every event arrives exactly once, in feed order, and no two
    requests to the receiver overlap in time."""
    with Receiver(default=Answer(204, delay=0.03)) as receiver:
        api, hook = setup_hook(org_a, receiver.url)
        workers.start()
        workers.start()
        ids = new_users(api, 25)
        received = receiver.wait_for(25, timeout=60)
        rows = WebhookDelivery.objects.for_organization(org_a)
        deadline = time.monotonic() + 10  # the last outcome is committed after its answer
        while time.monotonic() < deadline and rows.filter(state="delivered").count() < 25:
            time.sleep(0.05)
        # Every delivery run queued so far has ended (a duplicate would have arrived then).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and runs_pending():
            time.sleep(0.05)
        assert not runs_pending()
    assert len(receiver.received) == 25
    assert [json.loads(r.body)["object_id"] for r in received] == ids
    spans = sorted((r.started, r.ended) for r in received)
    assert all(later[0] >= earlier[1] - 0.005 for earlier, later in itertools.pairwise(spans))
    assert rows.count() == 25 and {r.state for r in rows} == {"delivered"}
    assert {r.attempts for r in rows} == {1}


def test_serve_with_worker_delivers(org_a, env, tmp_path):
    """`make run`'s `omgeving serve --with-worker`: one command, and webhooks go out."""
    from ..serving.test_slow_clients import _free_port, _start

    with Receiver() as receiver:
        api, hook = setup_hook(org_a, receiver.url)
        server = _start(env, _free_port(), "--with-worker")
        try:
            [user] = new_users(api, 1)
            [message] = receiver.wait_for(1, timeout=30)
        finally:
            server.terminate()
            server.wait(30)
    assert json.loads(message.body)["object_id"] == user

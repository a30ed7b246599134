"""examples/ecd_mirror.py against `omgeving serve --with-worker` (the worker delivers the
webhooks): it converges after changes, woken by webhooks alone, and catches up after being
down."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from omgeving_client import Client

from omgeving.accounts.services import set_password
from omgeving.tokens.services import issue_token
from omgeving.webhooks.models import WebhookDelivery

from ..helpers import APP_PASSWORD, client_for
from ..serving.test_slow_clients import _free_port, _start
from ..serving.test_two_servers import PBKDF2, _database_url

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ("users", "relations", "groups", "group-members", "group-clients")


@pytest.fixture
def server(tmp_path, transactional_db, org_a, app_a):
    with override_settings(PASSWORD_HASHERS=[PBKDF2]):  # one the server verifies
        set_password(app_a, APP_PASSWORD)
    env = {**os.environ, "DATABASE_URL": _database_url(), "OMGEVING_VAR_DIR": str(tmp_path),
           "OMGEVING_SECRET_KEY": settings.SECRET_KEY, "OMGEVING_LOG_LEVEL": "WARNING",
           "OMGEVING_WEBHOOK_ALLOW_PRIVATE": "1", "OMGEVING_WEBHOOK_ALLOW_HTTP": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    port = _free_port()
    process = _start(env, port, "--with-worker")
    try:
        yield f"http://localhost:{port}"
    finally:
        process.terminate()
        process.wait(30)


class MirrorProcess:
    def __init__(self, base_url, db, listen_port):
        self.args = [sys.executable, str(ROOT / "examples" / "ecd_mirror.py"),
                     "--base-url", base_url, "--organization", "org-a", "--username", "api",
                     "--password", APP_PASSWORD, "--db", str(db),
                     "--listen", f"127.0.0.1:{listen_port}",
                     "--subscribe", f"http://127.0.0.1:{listen_port}/hook",
                     "--poll", "600"]  # only webhooks wake it during the test
        self.process = None

    def start(self):
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready", self.process.stderr.read()

    def stop(self):
        self.process.terminate()
        self.process.wait(20)


_clients: dict[str, Client] = {}


def snapshot_of_api(base_url) -> dict:
    # One client (one login) for the whole test: logins per user are limited.
    client = _clients.get(base_url) or _clients.setdefault(
        base_url, Client(base_url, "org-a", "api", APP_PASSWORD))
    return {r: {o["id"]: o for o in client.paged(
        f"/api/{r}/", {"is_active": "all"} if r == "users" else None)} for r in RESOURCES}


def snapshot_of_mirror(db) -> dict:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("select resource, id, data from objects").fetchall()
    mirrored = {r: {} for r in RESOURCES}
    for resource, object_id, data in rows:
        mirrored[resource][object_id] = json.loads(data)
    return mirrored


def as_listed(expected: dict, mirrored: dict) -> dict:
    """The mirror keeps what the API answered: a list's row at the first read, an object's
    full representation after a change. Compared on the fields the list shows."""
    return {r: {i: {k: v for k, v in o.items() if k in expected[r].get(i, o)}
                for i, o in objects.items()} for r, objects in mirrored.items()}


def converges(base_url, db, timeout=30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        expected = snapshot_of_api(base_url)
        mirrored = as_listed(expected, snapshot_of_mirror(db))
        if expected == mirrored or time.monotonic() > deadline:
            assert mirrored == expected
            return mirrored
        time.sleep(0.25)


def test_the_mirror_converges_by_webhooks_and_catches_up_after_downtime(server, org_a, tmp_path):
    api = client_for(org_a, issue_token(org_a_app(org_a)).token)

    def post(path, body):
        answer = api.post(path, body, format="json")
        assert answer.status_code == 201, answer.content
        return answer.json()

    joost = post("/api/users/", {"username": "joost", "roles": ["CLIENT"]})
    ans = post("/api/users/", {"username": "ans", "roles": ["GUARDIAN"]})
    post("/api/relations/", {"client": joost["id"], "person": ans["id"],
                             "authorisation": "GUARDIAN"})
    db = tmp_path / "mirror.sqlite"
    mirror = MirrorProcess(server, db, _free_port())
    mirror.start()
    try:
        first = converges(server, db)  # the first start reads everything
        assert {u["username"] for u in first["users"].values()} >= {"joost", "ans", "api"}
        # Changes while it runs: only webhooks wake it (it would poll in 10 minutes).
        lisa = post("/api/users/", {"username": "lisa", "roles": ["CLIENT"]})
        assert api.patch(f"/api/users/{joost['id']}/", {"first_name": "Joost"},
                         format="json").status_code == 200
        team = post("/api/groups/", {"name": "Team Noord"})
        post("/api/group-clients/", {"group": team["id"], "client": lisa["id"]})
        after = converges(server, db)
        assert after["users"][joost["id"]]["first_name"] == "Joost"
        delivered = WebhookDelivery.objects.for_organization(org_a).filter(state="delivered")
        deadline = time.monotonic() + 10  # the worker commits the outcome after the answer
        while not delivered.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert delivered.exists()
    finally:
        mirror.stop()
    # Down: changes pile up in the feed.
    assert api.delete(f"/api/users/{lisa['id']}/").status_code == 204  # deactivates
    post("/api/users/", {"username": "tim", "roles": ["EXTERNAL"]})
    expected = snapshot_of_api(server)
    assert as_listed(expected, snapshot_of_mirror(db)) != expected
    mirror.start()
    try:
        caught_up = converges(server, db)
        assert caught_up["users"][lisa["id"]]["is_active"] is False
        assert "tim" in {u["username"] for u in caught_up["users"].values()}
    finally:
        mirror.stop()


def org_a_app(org):
    from omgeving.accounts.models import User

    return User.objects.for_organization(org).get(username="api")

"""Two app servers on one database behave as one (docs/deploy.md): two `omgeving serve`
processes on the suite's own database — the throwaway PostgreSQL cluster in the PostgreSQL
run, the SQLite file in the SQLite run — with one signing secret. A token from one works on
the other; a lockout earned on one holds on the other; the access log and the change feed
see the calls of both; a deactivation made elsewhere is refused by both on their next call
(each process keeps its own copy of the organisation, confirmed on every call)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import override_settings

from omgeving.accounts.services import set_password
from omgeving.audit.models import AccessLogEntry
from omgeving.tenancy.models import Organization

from ..helpers import APP_PASSWORD
from .test_slow_clients import _free_port, _start

pytestmark = pytest.mark.django_db(transaction=True)
BIN = Path(sys.executable).parent
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def _database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = quote(db["HOST"] or "", safe="")
    auth = db["USER"] + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{host}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def servers(tmp_path, org_a, app_a):
    with override_settings(PASSWORD_HASHERS=[PBKDF2]):  # one the servers verify (tests: MD5)
        set_password(app_a, APP_PASSWORD)
    env = {**os.environ, "DATABASE_URL": _database_url(), "OMGEVING_SECRET_KEY":
           settings.SECRET_KEY, "OMGEVING_LOG_LEVEL": "WARNING"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    started = []
    try:
        for name in ("one", "two"):
            var = tmp_path / name  # nothing shared on disk: only the database
            var.mkdir()
            port = _free_port()
            started.append((_start({**env, "OMGEVING_VAR_DIR": str(var)}, port), port))
        yield [Server(port) for _, port in started]
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(10)


class Server:
    def __init__(self, port):
        self.url, self.host = f"http://127.0.0.1:{port}", f"org-a.localhost:{port}"
        self.session = requests.Session()

    def call(self, method, path, token=None, headers=None, **kwargs):
        headers = {"Host": self.host, **(headers or {})}
        if token:
            headers["Authorization"] = f"JWT {token}"
        return self.session.request(method, self.url + path, headers=headers, timeout=15,
                                    **kwargs)

    def login(self, password=APP_PASSWORD):
        return self.call("POST", "/api/token-auth/",
                         json={"username": "api", "password": password})


def test_two_servers_on_one_database_behave_as_one(servers, org_a):
    one, two = servers
    token = one.login().json()["token"]

    # a token from one works on the other, and both log the read
    response = two.call("GET", "/api/users/", token)
    assert response.status_code == 200, response.text
    assert AccessLogEntry.objects.filter(method="GET", path="/api/users/").count() == 1

    # a write on one is in the change feed read from the other
    created = one.call("POST", "/api/users/", token,
                       json={"username": "joost", "roles": ["CLIENT"]})
    assert created.status_code == 201, created.text
    feed = two.call("GET", "/api/changes/", token).json()
    assert created.json()["id"] in [e["object_id"] for e in feed["results"]]
    assert two.call("GET", f"/api/users/{created.json()['id']}/", token).status_code == 200

    # a POST retried on the other server with its Idempotency-Key replays, never runs twice
    key = {"Idempotency-Key": "two-servers-1"}
    first = one.call("POST", "/api/users/", token, headers=key,
                     json={"username": "anna", "roles": ["CLIENT"]})
    again = two.call("POST", "/api/users/", token, headers=key,
                     json={"username": "anna", "roles": ["CLIENT"]})
    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]

    # a lockout earned on one holds on the other (same username, same address)
    for _ in range(settings.LOCKOUT_FAILURES):
        assert one.login("wrong-password-123").status_code == 400
    locked = two.login()
    assert locked.status_code == 429, locked.text
    assert locked.json()["code"] == "too_many_attempts"
    assert "Retry-After" in locked.headers

    # a deactivation made outside both is refused by both on their next call
    assert one.call("GET", "/api/me/", token).status_code == 200  # both know org-a now
    assert two.call("GET", "/api/me/", token).status_code == 200
    Organization.objects.filter(pk=org_a.pk).update(is_active=False)
    for server in servers:
        response = server.call("GET", "/api/users/", token)
        assert response.status_code == 404 and \
            response.json()["code"] == "organization_not_found"

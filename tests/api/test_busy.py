"""One integrator's heavy writes do not stop the others (issue 20): bulk requests are bounded
per application (429 with Retry-After), and a database that stays locked answers 503 with
Retry-After, never a 500 — on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from django.db import connection

from omgeving.accounts.models import User

from ..helpers import APP_PASSWORD, make_person
from .test_errors import assert_problem


def _items(prefix, count=150):
    return [{"external_id": f"{prefix}-{n}", "username": f"{prefix}{n}", "roles": ["CLIENT"]}
            for n in range(count)]


@pytest.mark.django_db(transaction=True)
def test_bulk_loops_in_one_organisation_leave_anothers_reads_answered(live_server, org_a,
                                                                     org_b, app_a, app_b):
    port = live_server.url.rsplit(":", 1)[1]

    def session(slug):
        s = requests.Session()
        s.headers["Host"] = f"{slug}.localhost:{port}"
        token = s.post(live_server.url + "/api/token-auth/", json={
            "username": "api", "password": APP_PASSWORD}, timeout=30).json()["token"]
        s.headers["Authorization"] = f"JWT {token}"
        return s

    statuses: dict[str, list] = {"bulk": [], "reads": []}
    stop = threading.Event()

    def writer(n):
        s = session("org-a")
        round_ = 0
        while not stop.is_set():
            answer = s.post(live_server.url + "/api/users/bulk/", timeout=60,
                            json={"items": _items(f"w{n}r{round_}")})
            statuses["bulk"].append((answer.status_code, answer.headers.get("Retry-After")))
            round_ += 1

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in writers:
        thread.start()
    reader = session("org-b")
    try:
        ends = time.monotonic() + 8
        while time.monotonic() < ends:
            answer = reader.get(live_server.url + "/api/users/", timeout=60)
            statuses["reads"].append((answer.status_code, answer.headers.get("Retry-After")))
    finally:
        stop.set()
        for thread in writers:
            thread.join(120)
    every = statuses["bulk"] + statuses["reads"]
    assert not [s for s, _ in every if s >= 500 and s != 503], every  # never a 500
    assert all(after for s, after in every if s in (429, 503))  # always with Retry-After
    assert {s for s, _ in statuses["bulk"]} <= {200, 429, 503}
    assert any(s == 429 for s, _ in statuses["bulk"]), statuses  # 4 at once: 2 told to wait
    assert any(s == 200 for s, _ in statuses["bulk"])
    assert [s for s, _ in statuses["reads"]].count(200) >= len(statuses["reads"]) // 2


@pytest.mark.django_db(transaction=True)
def test_a_database_locked_past_its_timeout_answers_503_not_500(api_a, org_a, monkeypatch):
    joost = make_person(org_a, "joost")
    other = _other_connection()
    try:
        _hold_a_lock(other, joost.pk)
        _short_lock_wait()
        response = api_a.patch(f"/api/users/{joost.pk}/", {"display_name": "J."},
                               format="json")
    finally:
        other.rollback() if connection.vendor != "sqlite" else other.execute("ROLLBACK")
        other.close()
    body = assert_problem(response, 503, "database_busy")
    assert response["Retry-After"] == "2" and body["detail"]
    assert User.objects.get(pk=joost.pk).display_name == ""  # nothing half-written


def _other_connection():
    """A second connection to the test database, as another process would have."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.connect(settings["NAME"], isolation_level=None, timeout=1)
    import psycopg

    return psycopg.connect(dbname=settings["NAME"], user=settings["USER"],
                           password=settings["PASSWORD"], host=settings["HOST"] or None,
                           port=settings["PORT"] or None)


def _hold_a_lock(other, user_id):
    if connection.vendor == "sqlite":
        other.execute("BEGIN IMMEDIATE")  # the database's one write lock
    else:
        other.execute("SELECT id FROM accounts_user WHERE id = %s FOR UPDATE", [user_id])


def _short_lock_wait():
    """Wait 0.2 s for a lock instead of SQLite's 20 s (or PostgreSQL's unbounded wait)."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout = 200")
        else:
            cursor.execute("SET lock_timeout = '200ms'")

"""Sync at scale: p50/p95 per request kind at two organisation sizes, and the bulk load.

For each size (default 10,000 and 1,000,000 people) a fresh database is migrated and seeded
directly (bulk INSERTs: one organisation, its people — half clients, half guardians, 1%
inactive —, a relation per client–guardian pair, and one change-feed event per person), then
each request kind is sent `--requests` times in-process through the whole Django stack
(middleware, token, grants, filters, access log), after a warm-up:

    users first page (page numbers)   GET /api/users/
    users page at 99% (page numbers)  GET /api/users/?page=… (its cost grows: documented)
    users cursor first page           GET /api/users/?cursor=
    users cursor page at 99%          GET /api/users/?cursor=<99% depth>
    filters (cursor pages)            role (half / one), is_active=false, modified_since
                                      (none / recent), external_id, search (one person / a
                                      first name 10% of people have)
    user detail                       GET /api/users/{id}/
    relations cursor page at 99%      GET /api/relations/?cursor=<99% depth>
    feed page at 99%                  GET /api/changes/?after=<99% depth>&limit=100
    upsert                            PUT /api/users/external/<new key>/

Then, at the smallest size, `--bulk` people (default 100,000) are loaded through
POST /api/users/bulk/ in batches of 1000 by one client, timed; and at the largest size a
full cursor walk of the people (`page_size=100`) is timed unless `--no-walk`.

The database is SQLite (a file under var/) unless DATABASE_URL names PostgreSQL (run it under
scripts/with-postgres); each size gets its own database. Prints one table with both sizes
and the ratio p50(large) / p50(small). Not a test: numbers depend on the machine.

    .venv/bin/python bench/scale.py [--sizes 10000,1000000] [--requests 40] [--bulk 100000]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "bench.localhost"
FIRST = ["Jan", "Anna", "Pieter", "Sanne", "Kees", "Lotte", "Daan", "Emma", "Bram", "Fleur"]
LAST = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Dekker"]


# --- the parent: one child process per size (Django's settings are read once) -------------

def database_url(size: int) -> tuple[str, str | None]:
    """The DATABASE_URL of this size's database (and the PostgreSQL maintenance URL)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        base, _, _ = url.rpartition("/")
        return f"{base}/bench_{size}", f"{base}/postgres"
    path = ROOT / "var" / f"bench-scale-{size}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(exist_ok=True)
    return f"sqlite:///{path}", None


def recreate_postgres(maintenance: str, size: int) -> None:
    import psycopg

    with psycopg.connect(maintenance.replace("postgres://", "postgresql://", 1),
                         autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS bench_{size}")
        conn.execute(f"CREATE DATABASE bench_{size}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--bulk", type=int, default=100_000)
    parser.add_argument("--no-walk", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--walk", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bulk-here", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return child(args)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    engine = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") \
        else "SQLite"
    results = {}
    for size in sizes:
        url, maintenance = database_url(size)
        if maintenance:
            recreate_postgres(maintenance, size)
        command = [sys.executable, __file__, "--one", str(size),
                   "--requests", str(args.requests)]
        if size == sizes[0] and args.bulk:
            command += ["--bulk-here", str(args.bulk)]
        if size == sizes[-1] and not args.no_walk:
            command.append("--walk")
        print(f"[{engine}] {size:,} people …", file=sys.stderr, flush=True)
        out = subprocess.run(command, env={**os.environ, "DATABASE_URL": url,
                                           "OMGEVING_BASE_DOMAIN": "localhost"},
                             capture_output=True, text=True)
        sys.stderr.write(out.stderr)
        if out.returncode:
            raise SystemExit(f"{size:,} people: the run failed (above)")
        results[size] = json.loads(out.stdout.strip().splitlines()[-1])
    report(engine, sizes, results)


def report(engine, sizes, results) -> None:
    small, large = sizes[0], sizes[-1]
    print(f"\n{engine}: p50 / p95 in ms, in-process, {results[small]['requests']} requests "
          "per kind\n")
    head = " | ".join(f"{s:,}: p50 / p95" for s in sizes)
    print(f"| request | {head} | p50 {large:,} ÷ {small:,} |")
    print("|---|" + "---|" * len(sizes) + "---|")
    for kind in results[small]["kinds"]:
        cells = " | ".join(
            f"{results[s]['kinds'][kind][0]:.1f} / {results[s]['kinds'][kind][1]:.1f}"
            for s in sizes)
        ratio = results[large]["kinds"][kind][0] / results[small]["kinds"][kind][0]
        print(f"| {kind} | {cells} | {ratio:.2f}× |")
    print()
    for size in sizes:
        for key, label in (("seed_s", "seeding"), ("walk_s", "full cursor walk"),
                           ("bulk_s", "bulk load")):
            if results[size].get(key) is not None:
                extra = ""
                if key == "walk_s":
                    extra = f" ({results[size]['walk_pages']:,} pages of 100)"
                if key == "bulk_s":
                    extra = (f" ({results[size]['bulk_people']:,} people, batches of 1000, "
                             f"{results[size]['bulk_people'] / results[size]['bulk_s']:.0f} "
                             "people/s)")
                print(f"{size:,} people, {label}: {results[size][key]:.1f} s{extra}")


# --- the child: one size, one database ----------------------------------------------------

def child(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omgeving.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    org, app = seed(args.one)
    seed_s = time.perf_counter() - started
    log(f"seeded {args.one:,} people in {seed_s:.1f} s")
    client = Client(app)
    result = {"requests": args.requests, "seed_s": seed_s, "kinds": measure(
        client, org, args.one, args.requests)}
    if args.walk:
        result["walk_s"], result["walk_pages"] = walk(client)
        log(f"walked in {result['walk_s']:.1f} s")
    if args.bulk_here:
        result["bulk_s"] = bulk(client, args.bulk_here)
        result["bulk_people"] = args.bulk_here
        log(f"bulk {args.bulk_here:,} in {result['bulk_s']:.1f} s")
    print(json.dumps(result))


def log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def seed(size: int):
    """The organisation, its Application user and `size` people, inserted in bulk (the
    services would take hours for a million; the API's rules are not what is measured)."""
    import datetime

    from django.db import connection, transaction
    from django.utils import timezone

    from omgeving.accounts import services
    from omgeving.accounts.models import User
    from omgeving.changes.models import ChangeCounter, ChangeEvent
    from omgeving.network.models import Relation
    from omgeving.tenancy.services import create_organization

    org = create_organization(slug="bench", name="Bench")
    app = services.create_user(organization=org, username="api", roles=["APPLICATION"],
                               password="bench-password-0123456789",
                               grants=["users:read", "users:write", "relations:read"])
    long_ago = timezone.now() - datetime.timedelta(days=400)
    batch = 20_000
    first_id = None
    with transaction.atomic():
        for start in range(0, size, batch):
            people = []
            for i in range(start, min(size, start + batch)):
                people.append(User(
                    organization=org, username=f"p{i}", first_name=FIRST[i % len(FIRST)],
                    last_name=f"{LAST[i % len(LAST)]} {i}", email=f"p{i}@example.org",
                    authorisation="CLIENT" if i % 2 == 0 else "GUARDIAN",
                    external_id=f"ecd-{i}", is_active=i % 100 != 7, password="!",
                    date_joined=long_ago))
            User.objects.bulk_create(people, batch_size=2000)
        ids = list(User.objects.for_organization(org).exclude(pk=app.pk)
                   .order_by("id").values_list("id", flat=True))
        first_id = ids[0]
        with connection.cursor() as cursor:  # as if changed long ago
            cursor.execute("UPDATE accounts_user SET modified = %s WHERE organization_id = %s "
                           "AND id <> %s", [long_ago, org.pk, app.pk])
        today = timezone.localdate() - datetime.timedelta(days=30)
        for start in range(0, len(ids) - 1, batch):
            Relation.objects.bulk_create([
                Relation(organization=org, client_id=ids[i], person_id=ids[i + 1],
                         authorisation="GUARDIAN", start_date=today)
                for i in range(start, min(len(ids) - 1, start + batch), 2)], batch_size=2000)
        base = ChangeCounter.objects.get(organization=org).last_seq  # the app's own events
        for start in range(0, len(ids), batch):
            ChangeEvent.objects.bulk_create([
                ChangeEvent(organization=org, seq=base + n + 1, resource="users", object_id=pk,
                            external_id=f"ecd-{n}", action="created", version=1, at=long_ago)
                for n, pk in enumerate(ids[start:start + batch], start)], batch_size=2000)
        ChangeCounter.objects.filter(organization=org).update(last_seq=base + len(ids))
    with connection.cursor() as cursor:  # planner statistics, as a live database has them
        cursor.execute("ANALYZE")
    org.first_person_id = first_id
    return org, app


class Client:
    """The Django test client with a fresh token (tokens live 5 minutes)."""

    def __init__(self, app):
        from django.test import Client as DjangoClient

        self.app, self.client, self.issued = app, DjangoClient(HTTP_HOST=HOST), None

    def _headers(self):
        from omgeving.tokens.services import issue_token

        if self.issued is None or time.monotonic() - self.issued > 200:
            self.token, self.issued = issue_token(self.app).token, time.monotonic()
        return {"HTTP_AUTHORIZATION": f"JWT {self.token}"}

    def get(self, path, params=None):
        response = self.client.get(path, params or {}, **self._headers())
        assert response.status_code == 200, (path, params, response.content[:300])
        return response

    def send(self, method, path, body, expect):
        response = getattr(self.client, method)(path, json.dumps(body),
                                                content_type="application/json",
                                                **self._headers())
        assert response.status_code == expect, (path, response.content[:300])
        return response.json()


def cursor_at(pk: int) -> str:
    """A list cursor positioned after `pk` (DRF's cursor encoding: `p=<last id>`)."""
    return base64.b64encode(f"p={pk}".encode()).decode()


def feed_cursor(seq: int) -> str:
    from omgeving.changes.services import encode_cursor

    return encode_cursor(seq)


def measure(client, org, size, requests):
    import datetime

    from django.utils import timezone

    from omgeving.network.models import Relation

    deep = int(size * 0.99)
    deep_user = org.first_person_id + deep  # ids are consecutive in a fresh database
    deep_relation = Relation.objects.for_organization(org).order_by("id").values_list(
        "id", flat=True)[deep // 2]
    pages = size // 25
    recent = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    counter = iter(range(10**9))
    kinds = {
        "users first page (page numbers)": lambda: client.get("/api/users/"),
        "users page at 99% (page numbers)": lambda: client.get(
            "/api/users/", {"page": int(pages * 0.99)}),
        "users cursor first page": lambda: client.get("/api/users/", {"cursor": ""}),
        "users cursor page at 99%": lambda: client.get(
            "/api/users/", {"cursor": cursor_at(deep_user)}),
        "filter role=GUARDIAN (cursor)": lambda: client.get(
            "/api/users/", {"cursor": "", "role": "GUARDIAN"}),
        "filter is_active=false (cursor)": lambda: client.get(
            "/api/users/", {"cursor": "", "is_active": "false"}),
        "filter modified_since, no match (cursor)": lambda: client.get(
            "/api/users/", {"cursor": "", "modified_since": future}),
        "filter modified_since, recent (cursor)": lambda: client.get(
            "/api/users/", {"cursor": "", "modified_since": recent}),
        "filter external_id (cursor)": lambda: client.get(
            "/api/users/", {"cursor": "", "external_id": f"ecd-{deep}"}),
        "filter role=APPLICATION, one match (cursor)": lambda: client.get(
            "/api/users/", {"cursor": "", "role": "APPLICATION"}),
        "filter search, one match (cursor)": lambda: client.get(
            "/api/users/", {"cursor": "", "search": f"p{deep}@"}),
        "filter search, 10% match (cursor)": lambda: client.get(
            "/api/users/", {"cursor": "", "search": "pieter"}),
        "user detail": lambda: client.get(f"/api/users/{deep_user}/"),
        "relations cursor page at 99%": lambda: client.get(
            "/api/relations/", {"cursor": cursor_at(deep_relation)}),
        "feed page at 99% (100 events)": lambda: client.get(
            "/api/changes/", {"after": feed_cursor(deep), "limit": 100}),
        "upsert (PUT by external_id)": lambda: client.send(
            "put", f"/api/users/external/up-{next(counter)}/",
            {"username": f"up{next(counter)}", "roles": ["CLIENT"]}, 201),
    }
    times = {}
    for kind, call in kinds.items():
        for _ in range(3):
            call()
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        times[kind] = (statistics.median(samples),
                       samples[min(len(samples) - 1, int(len(samples) * 0.95))])
        log(f"{kind}: p50 {times[kind][0]:.1f} ms, p95 {times[kind][1]:.1f} ms")
    return times


def walk(client):
    started, pages, url = time.perf_counter(), 0, "/api/users/?cursor=&page_size=100&is_active=all"
    while url:
        body = client.get(url.split(HOST, 1)[-1]).json()
        pages += 1
        url = body["next"]
    return time.perf_counter() - started, pages


def bulk(client, people):
    started = time.perf_counter()
    for start in range(0, people, 1000):
        items = [{"external_id": f"bulk-{i}", "username": f"bulk{i}", "roles": ["CLIENT"],
                  "first_name": FIRST[i % len(FIRST)], "last_name": LAST[i % len(LAST)],
                  "email": f"bulk{i}@example.org"}
                 for i in range(start, min(people, start + 1000))]
        answer = client.send("post", "/api/users/bulk/", {"items": items}, 200)
        assert all(r["status"] == "created" for r in answer["results"]), answer["results"][:3]
    return time.perf_counter() - started


if __name__ == "__main__":
    main()

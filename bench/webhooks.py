"""Webhook delivery: latency (change → receiver) and what one worker sustains.

A fresh database (SQLite under a temporary directory, or PostgreSQL when DATABASE_URL names
one: run under scripts/with-postgres) with one organisation, an Application user and a
webhook to a local receiver; then real processes — `omgeving serve` and `omgeving worker` —
as in production:

1. **latency**: `--changes` users created one at a time through the API (`--gap` seconds
   apart, like an ECD's trickle); for each, the time from the API's 201 (the change has
   committed) to the receiver having the signed event. p50, p95, max.
2. **throughput**: the worker stopped, `--backlog` changes made (bulk upserts); one worker
   started; the time until the receiver has them all → deliveries per second (one
   subscription: delivered one at a time, in order, each a signed HTTP POST answered 204).

Not a test: numbers depend on the machine.

    .venv/bin/python bench/webhooks.py [--changes 200] [--gap 0.05] [--backlog 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench-password-for-webhooks-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    def __init__(self):
        self.arrivals: dict[int, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.monotonic()
                event = json.loads(body)
                with receiver.lock:
                    receiver.arrivals.setdefault(event["object_id"], now)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, ids, timeout=600.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(i in self.arrivals for i in ids):
                    return
            time.sleep(0.005)
        raise SystemExit(f"only {len(self.arrivals)} of {len(ids)} arrived")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.05)
    parser.add_argument("--backlog", type=int, default=3000)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="omgeving-bench-webhooks-"))
    env = {**os.environ, "OMGEVING_VAR_DIR": str(var), "OMGEVING_LOG_LEVEL": "WARNING",
           "OMGEVING_WEBHOOK_ALLOW_PRIVATE": "1", "OMGEVING_WEBHOOK_ALLOW_HTTP": "1",
           "OMGEVING_LOGIN_SUCCESS_LIMIT": "1000", "OMGEVING_SECRET_KEY": "bench-" + "x" * 50}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    database = "PostgreSQL" if env.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    if database == "PostgreSQL":  # a fresh database beside the cluster's default one
        import psycopg

        base, _, _ = env["DATABASE_URL"].rpartition("/")
        maintenance = f"{base}/postgres".replace("postgres://", "postgresql://", 1)
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS bench_webhooks")
            connection.execute("CREATE DATABASE bench_webhooks")
        env["DATABASE_URL"] = f"{base}/bench_webhooks"
    omgeving = str(BIN / "omgeving")
    subprocess.run([omgeving, "migrate", "-v0"], env=env, check=True)
    subprocess.run([omgeving, "org", "create", "bench", "--name", "Bench"], env=env, check=True,
                   capture_output=True)
    subprocess.run([omgeving, "user", "create", "--org", "bench", "--username", "api",
                    "--role", "APPLICATION"], env={**env, "OMGEVING_PASSWORD": PASSWORD},
                   check=True, capture_output=True)
    subprocess.run([omgeving, "user", "grant", "--org", "bench", "--username", "api", "--all"],
                   env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([omgeving, "serve", "--bind", f"127.0.0.1:{port}"], env=env)
    worker = None
    try:
        from omgeving_client import Client

        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        client = Client(f"http://localhost:{port}", "bench", "api", PASSWORD)
        receiver = Receiver()
        client.webhooks.create(url=receiver.url, events=["users.*"])
        worker = subprocess.Popen([omgeving, "worker", "-v", "0"], env=env)
        time.sleep(2)  # the worker is up
        # 1. latency
        latencies = []
        for n in range(args.changes):
            user = client.users.create(username=f"trickle{n}", roles=["CLIENT"])
            committed = time.monotonic()
            receiver.wait([user["id"]], timeout=60)
            latencies.append((receiver.arrivals[user["id"]] - committed) * 1000)
            time.sleep(args.gap)
        latencies.sort()
        # 2. throughput of one worker on a backlog
        worker.terminate()
        worker.wait(30)
        ids = []
        for start in range(0, args.backlog, 1000):
            results = client.users.bulk({"external_id": f"b{n}", "username": f"bulk{n}",
                                         "roles": ["CLIENT"]}
                                        for n in range(start, min(start + 1000, args.backlog)))
            ids += [r["id"] for r in results]
        started = time.monotonic()
        worker = subprocess.Popen([omgeving, "worker", "-v", "0"], env=env)
        receiver.wait(ids)
        elapsed = time.monotonic() - started
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        server.terminate()
        server.wait(30)

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    print(f"database: {database}; {os.cpu_count()} CPUs")
    print(f"latency change → receiver over {len(latencies)} changes {args.gap}s apart: "
          f"p50 {pct(50):.0f} ms, p95 {pct(95):.0f} ms, max {latencies[-1]:.0f} ms")
    print(f"one worker, one subscription, backlog of {len(ids)}: {elapsed:.1f} s "
          f"(incl. worker start-up) = {len(ids) / elapsed:.0f} deliveries/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

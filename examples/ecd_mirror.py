"""An ECD-side mirror of one Omgeving organisation, on the Python SDK (omgeving-client).

It keeps a copy of every user, relation, group and membership the application may read in
its own SQLite file, and keeps it current:

- **first start**: it takes the feed's position now, reads every list, and stores the
  position (the change feed's way to resynchronise);
- **a webhook is a doorbell**: Omgeving POSTs a signed event; the mirror checks the
  signature and answers at once, then reads the change feed from its stored position and
  fetches each changed object (the webhook says *that* something changed; the feed says
  *what*, in order, with nothing missed);
- **down for a while**: at start it reads the feed from its stored position first, so
  everything that changed meanwhile comes in (and if that position was pruned — 410
  `cursor_expired` — it resynchronises);
- a slow poll (`--poll`, default 5 minutes) in case a webhook never arrives.

    python examples/ecd_mirror.py --base-url https://example.org --organization demo \\
        --username api --password … --db mirror.sqlite \\
        --listen 0.0.0.0:8400 --subscribe https://ecd.example.nl/omgeving-hook

`--subscribe` makes the webhook once (its secret is kept in the SQLite file) — the URL
where Omgeving reaches `--listen` from outside.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from omgeving_client import Client, errors, webhooks

log = logging.getLogger("ecd_mirror")
RESOURCES = ("users", "relations", "groups", "group-members", "group-clients")
LIST_PARAMS = {"users": {"is_active": "all"}}  # deactivated people stay in the ECD, marked
SCHEMA = """
create table if not exists objects (
    resource text not null, id integer not null, data text not null,
    primary key (resource, id));
create table if not exists state (key text primary key, value text not null);
"""


class Mirror:
    def __init__(self, client: Client, path: str):
        self.client = client
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()

    # --- state -----------------------------------------------------------------------------
    def get(self, key: str) -> str | None:
        row = self.db.execute("select value from state where key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, value: str) -> None:
        self.db.execute("insert into state values (?, ?) on conflict(key) do update set "
                        "value = excluded.value", (key, value))

    def objects(self, resource: str) -> dict[int, dict]:
        return {row[0]: json.loads(row[1]) for row in self.db.execute(
            "select id, data from objects where resource = ?", (resource,))}

    # --- syncing ---------------------------------------------------------------------------
    def resync(self) -> None:
        """Everything afresh: the position first, then the lists (a change made while they
        are read is in the feed after that position, so nothing falls between)."""
        position = self.client.changes.latest()
        with self.db:
            for resource in RESOURCES:
                seen = []
                for item in self.client.paged(f"/api/{resource}/",
                                              LIST_PARAMS.get(resource)):
                    self._store(resource, item)
                    seen.append(item["id"])
                marks = ",".join("?" * len(seen)) or "null"
                self.db.execute(f"delete from objects where resource = ? and id not in ({marks})",  # noqa: S608
                                (resource, *seen))
            self.put("cursor", position)
        log.info("resynchronised at %s", position)

    def catch_up(self) -> int:
        """Apply every event after the stored position; returns how many."""
        with self.lock:
            cursor = self.get("cursor")
            if cursor is None:
                self.resync()
                cursor = self.get("cursor")
            applied = 0
            try:
                for event in self.client.changes.list(after=cursor,
                                                      resource=",".join(RESOURCES)):
                    with self.db:
                        self._apply(event)
                        self.put("cursor", event["cursor"])
                    applied += 1
            except errors.Gone:
                log.warning("the feed no longer has our position: resynchronising")
                self.resync()
            return applied

    def _apply(self, event: dict) -> None:
        resource, object_id = event["resource"], event["object_id"]
        try:
            item = self.client.get_json(f"/api/{resource}/{object_id}/")
        except (errors.NotFound, errors.Gone):
            self.db.execute("delete from objects where resource = ? and id = ?",
                            (resource, object_id))
            return
        self._store(resource, item)

    def _store(self, resource: str, item: dict) -> None:
        self.db.execute("insert into objects values (?, ?, ?) on conflict(resource, id) do "
                        "update set data = excluded.data",
                        (resource, item["id"], json.dumps(item, sort_keys=True)))

    # --- the webhook -----------------------------------------------------------------------
    def subscribe(self, url: str) -> None:
        """Make the webhook once; its secret stays in this file."""
        if self.get("webhook_id") and self.get("webhook_url") == url:
            return
        hook = self.client.webhooks.create(
            url=url, events=[f"{r}.*" for r in RESOURCES],
            description="ecd_mirror.py")
        with self.db:
            self.put("webhook_id", str(hook["id"]))
            self.put("webhook_url", url)
            self.put("webhook_secret", hook["secret"])


def serve_doorbell(mirror: Mirror, listen: str, doorbell: threading.Event) -> ThreadingHTTPServer:
    host, _, port = listen.rpartition(":")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(min(int(self.headers.get("Content-Length", 0)), 65536))
            secret = mirror.get("webhook_secret")
            try:
                event = webhooks.verify(dict(self.headers), body, secret or [])
            except webhooks.InvalidSignature:
                self.send_response(400)
                self.end_headers()
                return
            log.info("webhook %s %s", event["type"], event["id"])
            self.send_response(204)  # answer at once; the work happens in the main loop
            self.end_headers()
            doorbell.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--organization")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--db", required=True, help="the mirror's SQLite file")
    parser.add_argument("--listen", help="HOST:PORT for Omgeving's webhooks")
    parser.add_argument("--subscribe", help="the public URL of --listen (makes the webhook)")
    parser.add_argument("--poll", type=float, default=300.0,
                        help="seconds between reads of the feed without a webhook")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    client = Client(args.base_url, args.organization, args.username, args.password)
    mirror = Mirror(client, args.db)
    doorbell = threading.Event()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: (stopping.set(), doorbell.set()))
    if args.listen:
        serve_doorbell(mirror, args.listen, doorbell)
    if args.subscribe:
        mirror.subscribe(args.subscribe)
    print("ready", flush=True)
    while not stopping.is_set():
        doorbell.clear()
        applied = mirror.catch_up()  # the first round catches up after being down
        if applied:
            log.info("applied %d change(s)", applied)
        doorbell.wait(args.poll)
    return 0


if __name__ == "__main__":
    sys.exit(main())

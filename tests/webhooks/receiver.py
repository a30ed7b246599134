"""A real HTTP receiver for webhook tests: a threaded server on 127.0.0.1 that records each
request (headers, body, when it started and ended) and answers as a script says."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict
    body: bytes
    started: float
    ended: float = 0.0
    status: int = 0


@dataclass
class Answer:
    status: int = 204
    delay: float = 0.0
    headers: dict = field(default_factory=dict)


class Receiver:
    """`answers`: what to answer next, one per request (then `default`)."""

    def __init__(self, default: Answer | None = None):
        self.default = default or Answer()
        self.answers: deque[Answer] = deque()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                started = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    answer = receiver.answers.popleft() if receiver.answers else receiver.default
                    entry = Received(dict(self.headers), body, started)
                    receiver.received.append(entry)
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass
                entry.ended, entry.status = time.monotonic(), answer.status

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                done = [r for r in self.received if r.ended]
            if len(done) >= count:
                return done
            time.sleep(0.02)
        raise AssertionError(f"{len(self.received)} requests received, {count} expected")

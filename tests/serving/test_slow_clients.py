"""The embedded server (`omgeving serve`: granian + the buffering bridge) against slow
clients: 50 connections that trickle their headers and 50 that trickle their bodies must not
stop anyone else. A real server process, real sockets."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("serve-var")
    env = {**os.environ, "OMGEVING_VAR_DIR": str(var), "OMGEVING_BODY_TIMEOUT": "5"}
    env.pop("DATABASE_URL", None)  # its own SQLite file
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([BIN / "omgeving", "migrate", "-v0"], env=env, check=True)
    subprocess.run([BIN / "omgeving", "demo"], env=env, check=True, capture_output=True)
    port = _free_port()
    process = subprocess.Popen([BIN / "omgeving", "serve", "--bind", f"127.0.0.1:{port}",
                                "--workers", "1", "--threads", "4"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield port, json.loads((var / "demo-credentials.json").read_text())
    process.terminate()
    process.wait(10)


def _get(port, path="/api/", timeout=3.0, method="GET", body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request(method, path, body=body,
                       headers={"Host": "demo.localhost", **(headers or {})})
    response = connection.getresponse()
    return response.status, response.read()


def test_slow_headers_and_slow_bodies_do_not_stop_others(server):
    port, _ = server
    slow = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /api/ HTTP/1.1\r\nHost: demo.localhost\r\n")
        slow.append(s)
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /api/token-auth/ HTTP/1.1\r\nHost: demo.localhost\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        slow.append(s)
    try:
        for _ in range(3):  # keep them trickling while ordinary requests come in
            for s in slow[:50]:
                s.sendall(b"X-Slow: 1\r\n")
            for s in slow[50:]:
                s.sendall(b" ")
            for _ in range(5):
                started = time.monotonic()
                status, _ = _get(port, timeout=3.0)
                assert status == 200
                assert time.monotonic() - started < 2.0  # promptly, not after a slot frees
            time.sleep(1)
    finally:
        for s in slow:
            s.close()


def test_a_body_that_never_finishes_is_408(server):
    port, _ = server
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(b"POST /api/token-auth/ HTTP/1.1\r\nHost: demo.localhost\r\n"
              b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    answer = s.recv(4096)
    s.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"code": "request_timeout"' in answer


def test_chunked_bodies_are_read_and_large_ones_refused(server):
    port, credentials = server
    body = json.dumps({"username": "api", "password": credentials["api"]}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("POST", "/api/token-auth/", skip_host=True)
    connection.putheader("Host", "demo.localhost")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    connection.send(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    response = connection.getresponse()
    assert response.status == 200, response.read()
    assert "token" in json.loads(response.read())

    # A body over the limit is refused on its Content-Length, before it is sent.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /api/users/ HTTP/1.1\r\nHost: demo.localhost\r\n"
              b"Content-Type: application/json\r\nContent-Length: 300000000\r\n\r\n")
    answer = s.recv(4096)
    s.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"code": "body_too_large"' in answer

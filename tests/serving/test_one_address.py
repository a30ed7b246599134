"""One client address against the embedded server (issue 20's outside attack): more slow
bodies than the server's requests in progress (`--backpressure`) from one address, anonymous
large uploads, and header names that would pass for others. A real server, real sockets;
a second client on another loopback address (127.0.0.2) must still be answered."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess

import pytest

from omgeving.serving import BODIES_PER_ADDRESS, _environ

from .test_slow_clients import BIN, _free_port, _start

BACKPRESSURE = 48


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("one-address-var")
    env = {**os.environ, "OMGEVING_VAR_DIR": str(var), "OMGEVING_BODY_TIMEOUT": "20"}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([BIN / "omgeving", "migrate", "-v0"], env=env, check=True)
    subprocess.run([BIN / "omgeving", "demo"], env=env, check=True, capture_output=True)
    port = _free_port()
    process = _start(env, port, "--threads", "2", "--backpressure", str(BACKPRESSURE))
    yield port, json.loads((var / "demo-credentials.json").read_text())
    process.terminate()
    process.wait(10)


def _from_elsewhere(port, path="/api/", timeout=5.0):
    """An ordinary request from another address than the attacker's."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                            source_address=("127.0.0.2", 0))
    connection.request("GET", path, headers={"Host": "demo.localhost"})
    response = connection.getresponse()
    return response.status, response.read()


def _answers(sockets, wait=5.0) -> list[bytes]:
    """The status line each socket has received within `wait` seconds (b"" if none)."""
    import selectors
    import time

    lines = {s: b"" for s in sockets}
    with selectors.DefaultSelector() as selector:
        for s in sockets:
            selector.register(s, selectors.EVENT_READ)
        deadline = time.monotonic() + wait
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.5):
                try:
                    lines[key.fileobj] = key.fileobj.recv(4096).split(b"\r\n", 1)[0]
                except OSError:
                    pass
                selector.unregister(key.fileobj)
    return list(lines.values())


def test_more_slow_bodies_from_one_address_than_the_backpressure_stop_no_one_else(server):
    port, _ = server
    slow = []
    try:
        for _ in range(BACKPRESSURE * 3):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /api/token-auth/ HTTP/1.1\r\nHost: demo.localhost\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
            slow.append(s)
        for _ in range(3):
            for s in slow:
                try:
                    s.sendall(b" ")  # keep trickling
                except OSError:
                    pass  # shed by the server
            status, _ = _from_elsewhere(port)
            assert status == 200
        # The address's bodies beyond its share were answered 429 at once, not held.
        answers = _answers(slow)
        assert answers.count(b"HTTP/1.1 429 Too Many Requests") >= len(slow) - \
            BODIES_PER_ADDRESS, set(answers)
    finally:
        for s in slow:
            s.close()


def test_a_large_anonymous_body_is_refused_before_it_is_sent(server):
    port, _ = server
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(b"POST /api/documents/ HTTP/1.1\r\nHost: demo.localhost\r\n"
                  b"Content-Type: multipart/form-data; boundary=b\r\n"
                  b"Content-Length: 15000000\r\n\r\n")  # and not one byte of the body
        answer = s.recv(4096)
    finally:
        s.close()
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert b'"code": "not_authenticated"' in answer and b"www-authenticate" in answer.lower()


def test_a_small_anonymous_body_is_still_read_and_answered(server):
    port, credentials = server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/api/token-auth/", body=json.dumps(
        {"username": "api", "password": credentials["api"]}), headers={
        "Host": "demo.localhost", "Content-Type": "application/json"})
    assert connection.getresponse().status == 200


def test_header_names_with_an_underscore_are_dropped():
    scope = {"type": "http", "method": "GET", "path": "/api/", "client": ("203.0.113.5", 1),
             "headers": [(b"x-forwarded-for", b"198.51.100.1"),
                         (b"x_forwarded_for", b"10.0.0.1"), (b"x_request_id", b"forged")]}

    class Body:
        size = 0

    environ = _environ(scope, Body())
    assert environ["HTTP_X_FORWARDED_FOR"] == "198.51.100.1"
    assert "HTTP_X_REQUEST_ID" not in environ

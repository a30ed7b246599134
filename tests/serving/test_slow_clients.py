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
# The slow clients come from their own loopback address: one address's bodies still arriving
# are bounded (omgeving/serving.py), and the other tests' requests are not theirs.
ATTACKER = ("127.0.0.4", 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env, port, *extra, stderr=subprocess.DEVNULL):
    """`omgeving serve` on `port`, once it accepts connections."""
    process = subprocess.Popen([BIN / "omgeving", "serve", "--bind", f"127.0.0.1:{port}",
                                "--workers", "1", *extra], env=env,
                               stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("omgeving serve did not start")


@pytest.fixture(scope="module")
def server_env(tmp_path_factory):
    var = tmp_path_factory.mktemp("serve-var")
    # Headers get 60 s here, so no slow client of these tests is closed by its deadline while
    # a test still counts on it being open (test_the_header_deadline_is_the_configured_one).
    env = {**os.environ, "OMGEVING_VAR_DIR": str(var), "OMGEVING_BODY_TIMEOUT": "5",
           "OMGEVING_HEADER_TIMEOUT": "60"}
    env.pop("DATABASE_URL", None)  # its own SQLite file
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([BIN / "omgeving", "migrate", "-v0"], env=env, check=True)
    subprocess.run([BIN / "omgeving", "demo"], env=env, check=True, capture_output=True)
    return env


@pytest.fixture(scope="module")
def server(server_env):
    port = _free_port()
    process = _start(server_env, port, "--threads", "4")
    var = Path(server_env["OMGEVING_VAR_DIR"])
    yield port, json.loads((var / "demo-credentials.json").read_text())
    process.terminate()
    process.wait(10)


def _unanswered_and_open(s: socket.socket) -> bool:
    """Whether the server has neither answered nor closed this connection (yet)."""
    s.setblocking(False)
    try:
        s.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.setblocking(True)
    return False  # an answer or the server's close


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
        s = socket.create_connection(("127.0.0.1", port), source_address=ATTACKER)
        s.sendall(b"GET /api/ HTTP/1.1\r\nHost: demo.localhost\r\n")
        slow.append(s)
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", port), source_address=ATTACKER)
        s.sendall(b"POST /api/token-auth/ HTTP/1.1\r\nHost: demo.localhost\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        slow.append(s)
    try:
        for _ in range(3):  # keep them trickling while ordinary requests come in
            for s in slow[:50]:
                s.sendall(b"X-Slow: 1\r\n")
            for s in slow[50:]:
                try:
                    s.sendall(b" ")
                except OSError:
                    pass  # beyond one address's share of bodies: answered 429 and closed
            for _ in range(5):
                status, _ = _get(port, timeout=10.0)
                assert status == 200
                # Answered while every slow client still holds its connection: not after
                # one of them was given up on and a slot freed.
                assert all(_unanswered_and_open(s) for s in slow[:50])
            time.sleep(1)
    finally:
        for s in slow:
            s.close()


def _raw_post(port, path, length, body=b"") -> bytes:
    """Headers claiming `length` bytes and then only `body`; the server's first answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: demo.localhost\r\nContent-Type: "
              f"application/json\r\nContent-Length: {length}\r\n\r\n".encode() + body)
    answer = s.recv(4096)
    s.close()
    return answer


def test_a_body_that_never_finishes_is_408(server):
    answer = _raw_post(server[0], "/api/token-auth/", 100, b"{")
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
    answer = _raw_post(port, "/api/users/", 300_000_000)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"code": "body_too_large"' in answer


def test_two_servers_run_side_by_side_without_a_shared_control_socket(server, tmp_path):
    """gunicorn took over one control socket in $HOME per `omgeving serve`; granian has none,
    so a second server neither disturbs the first nor leaves anything in $HOME."""
    port, _ = server
    home = tmp_path / "home"
    home.mkdir()
    var = tmp_path / "var"
    env = {**os.environ, "HOME": str(home), "OMGEVING_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    subprocess.run([BIN / "omgeving", "migrate", "-v0"], env=env, check=True)
    second = _free_port()
    process = _start(env, second)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", second, timeout=5)
        connection.request("GET", "/api/", headers={"Host": "nobody.localhost"})
        assert connection.getresponse().status == 404  # its own (empty) database answers
        assert _get(port)[0] == 200  # the first server still serves
        assert list(home.iterdir()) == []
    finally:
        process.terminate()
        process.wait(10)


def test_a_document_upload_may_be_larger_than_other_bodies(server):
    """The embedded server lets a 5 MB upload through to /api/documents/ (its limit is the
    document's 20 MiB and a form), while every other path keeps the 1 MiB limit."""
    port, credentials = server
    status, body = _get(port, "/api/token-auth/", method="POST", headers={
        "Content-Type": "application/json"}, body=json.dumps(
        {"username": "api", "password": credentials["api"]}))
    auth = {"Authorization": f"JWT {json.loads(body)['token']}"}
    status, body = _get(port, "/api/users/?page_size=100", headers=auth)
    ids = {u["username"]: u["id"] for u in json.loads(body)["results"]}
    joost, pieter = ids["joost"], ids["pieter"]
    pdf = b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024)
    fields = {"client": str(joost), "author": str(pieter), "title": "Groot plan"}
    form = b"".join(f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields.items())
    form += (b'--b\r\nContent-Disposition: form-data; name="file"; filename="plan.pdf"\r\n'
             b"Content-Type: application/pdf\r\n\r\n" + pdf + b"\r\n--b--\r\n")
    status, body = _get(port, "/api/documents/", method="POST", body=form, timeout=30,
                        headers={**auth, "Content-Type": "multipart/form-data; boundary=b"})
    assert status == 201, body[:500]
    document = json.loads(body)
    status, content = _get(port, f"/api/documents/{document['id']}/content/", headers=auth,
                           timeout=30)
    assert status == 200 and content == pdf
    answer = _raw_post(port, "/api/users/", len(form))  # refused on its Content-Length
    assert answer.startswith(b"HTTP/1.1 413") and b'"code": "body_too_large"' in answer


def test_the_header_deadline_is_the_configured_one(server, server_env):
    """OMGEVING_HEADER_TIMEOUT reaches the server: the same unfinished headers are dropped by
    a server told 1 s while the one told 60 s still holds them (an order, not a timing)."""
    port, _ = server
    quick_port = _free_port()
    quick_server = _start({**server_env, "OMGEVING_HEADER_TIMEOUT": "1"}, quick_port)
    try:
        held = socket.create_connection(("127.0.0.1", port), source_address=ATTACKER)
        held.sendall(b"GET /api/ HTTP/1.1\r\nHost: demo.localhost\r\n")
        time.sleep(0.5)  # held starts first: were both deadlines equal, it would end first
        quick = socket.create_connection(("127.0.0.1", quick_port), timeout=30)
        quick.sendall(b"GET /api/ HTTP/1.1\r\nHost: demo.localhost\r\n")
        try:
            quick.recv(4096)  # the server's close (or a 408) once its 1 s is up
        except TimeoutError:
            pytest.fail("the server told OMGEVING_HEADER_TIMEOUT=1 kept the headers 30 s")
        assert _unanswered_and_open(held)
        assert _get(quick_port)[0] == 200  # a client that finishes its headers is served
    finally:
        quick_server.terminate()
        quick_server.wait(10)
        for s in (held, quick):
            s.close()

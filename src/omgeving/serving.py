"""The embedded server: granian (Rust, asynchronous I/O) in front of the Django WSGI app.

Why not a WSGI server straight onto Django: a WSGI app reads the request body itself, in a
worker thread, so a client that sends its body one byte every few seconds holds a thread; a
few dozen such clients hold them all (measured: 50 slow bodies stopped every request to
every organisation under both gunicorn gthread and granian's WSGI interface).

So the server speaks ASGI to this small bridge, which
- lets granian read the headers asynchronously with a deadline (`--http1-header-read-timeout`);
- reads the whole body asynchronously, refusing it past MAX_BODY bytes (413) or when it has
  not arrived within BODY_TIMEOUT seconds (408) — a slow client costs a coroutine, not a
  thread;
- only then runs the WSGI application in a bounded thread pool, with the body in a spooled
  file: in memory up to SPOOL_BYTES, on disk beyond (chunked bodies arrive here de-chunked, so
  Django reads them like any other body).

Before reading a body it refuses what no honest client sends (issue 20's attack):
- a body over UNAUTHENTICATED_BODY bytes without `Authorization` (other than the token
  endpoints, whose limit is 8 KiB anyway): 401 at once, unread — nobody uploads 20 MiB
  anonymously into the server's memory;
- more than BODIES_PER_ADDRESS bodies still arriving from one client address: 429 at once
  (`Connection: close`), so one address trickling bodies holds a few of the worker's
  requests in progress (`--backpressure`), never all of them;
- header names with an underscore are dropped (as gunicorn and nginx do): `X_Forwarded_For`
  would otherwise become the same variable as `X-Forwarded-For`.

Responses of this API are small JSON documents; the bridge collects one and sends it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from .api.limits import TOKEN_PATHS, body_limit, max_body_bytes

BODY_TIMEOUT = float(os.environ.get("OMGEVING_BODY_TIMEOUT", 30))
BODIES_PER_ADDRESS = int(os.environ.get("OMGEVING_BODIES_PER_ADDRESS", 16))
UNAUTHENTICATED_BODY = 64 * 1024
SPOOL_BYTES = 256 * 1024  # at most this much of one body in memory; the rest on disk


def _problem(status: int, code: str, detail: str) -> tuple[int, list, bytes]:
    """A problem+json answer of the bridge's own (before Django runs): its title is the
    code's registered text (English: the bridge does not negotiate languages)."""
    import json

    from django.utils import translation

    from .api.problems import title_of

    with translation.override("en"):
        title = title_of(code, status)
    body = json.dumps({"type": f"urn:omgeving:problem:{code}", "title": title,
                       "status": status, "detail": detail, "code": code}).encode()
    return status, [(b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")], body


def _environ(scope: dict, body) -> dict:
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    path = scope["path"]
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode().decode("latin-1"),
        "PATH_INFO": path.encode().decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] or 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0] or "",
        "REMOTE_PORT": str(client[1] or ""),
        "CONTENT_LENGTH": str(body.size),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        if b"_" in raw_name:
            continue  # X_Forwarded_For must not pass for X-Forwarded-For
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            continue  # the body as received (and de-chunked) is what counts
        key = name if name == "CONTENT_TYPE" else f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class BufferingBridge:
    """ASGI application that buffers the request, then runs a WSGI application in threads."""

    def __init__(self, wsgi_app, threads: int = 8):
        self.wsgi_app = wsgi_app
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")
        self.max_body = max_body_bytes()
        self.reading: Counter = Counter()  # client address → bodies still arriving

    def _run(self, environ: dict) -> tuple[int, list, bytes]:
        state = {}

        def start_response(status, headers, exc_info=None):
            state["status"], state["headers"] = status, headers
            return lambda data: state.setdefault("written", []).append(data)

        result = self.wsgi_app(environ, start_response)
        try:
            chunks = [*state.get("written", []), *result]
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                   for k, v in state["headers"]]
        return int(state["status"].split(" ", 1)[0]), headers, b"".join(chunks)

    async def _read_body(self, receive, limit: int):
        body = _Body()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                return None
            chunk = message.get("body", b"")
            if body.size + len(chunk) > limit:
                body.close()
                return _problem(413, "body_too_large",
                                f"The request body exceeds {limit} bytes.")
            body.write(chunk)
            if not message.get("more_body", False):
                body.seek(0)
                return body

    def _refusal(self, scope, headers: dict, limit: int):
        """What is refused before a byte of the body is read, or None."""
        declared = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return _problem(413, "body_too_large", f"The request body exceeds {limit} bytes.")
        large = chunked or (declared is not None and declared.isdigit()
                            and int(declared) > UNAUTHENTICATED_BODY)
        if (large and b"authorization" not in headers
                and scope.get("path", "") not in TOKEN_PATHS):
            status, head, content = _problem(
                401, "not_authenticated", "No token: send `Authorization: JWT <token>`.")
            return status, [*head, (b"www-authenticate", b'JWT realm="api"')], content
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        headers = dict(scope.get("headers", []))
        limit = body_limit(scope.get("path", ""), self.max_body)
        answer = self._refusal(scope, headers, limit)
        address = _address(scope, headers)
        expects_body = headers.get(b"content-length", b"0") not in (b"0", b"") or \
            b"transfer-encoding" in headers
        if answer is None and expects_body and self.reading[address] >= BODIES_PER_ADDRESS:
            status, head, content = _problem(
                429, "too_many_requests",
                f"More than {BODIES_PER_ADDRESS} request bodies at once from one address.")
            answer = status, [*head, (b"retry-after", b"5")], content
        if answer is None:
            self.reading[address] += 1
            try:
                body = await asyncio.wait_for(self._read_body(receive, limit), BODY_TIMEOUT)
            except TimeoutError:
                body = _problem(408, "request_timeout",
                                f"The request body did not arrive within {BODY_TIMEOUT:g} s.")
            finally:
                self.reading[address] -= 1
                if self.reading[address] <= 0:
                    del self.reading[address]
            if body is None:  # the client went away mid-body; nobody reads this answer
                body = _problem(400, "incomplete_body", "The body ended before its length.")
            if isinstance(body, tuple):
                answer = body
            else:
                loop = asyncio.get_running_loop()
                try:
                    answer = await loop.run_in_executor(self.pool, self._run,
                                                        _environ(scope, body))
                finally:
                    body.close()
        status, headers, content = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


class _Body(tempfile.SpooledTemporaryFile):
    """A request body: in memory up to SPOOL_BYTES, then in a file nobody else can read."""

    def __init__(self):
        super().__init__(max_size=SPOOL_BYTES)
        self.size = 0

    def write(self, data):
        self.size += len(data)
        return super().write(data)


TRUSTED_PROXIES = int(os.environ.get("OMGEVING_TRUSTED_PROXIES", "0") or 0)


def _address(scope: dict, headers: dict) -> str:
    """The client's address, as omgeving.api.client.client_ip reads it: behind
    OMGEVING_TRUSTED_PROXIES proxies, the hop they appended to X-Forwarded-For."""
    remote = (scope.get("client") or ("", 0))[0] or ""
    if TRUSTED_PROXIES <= 0:
        return remote
    hops = [h.strip() for h in headers.get(b"x-forwarded-for", b"").decode(
        "latin-1").split(",") if h.strip()]
    if len(hops) < TRUSTED_PROXIES:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-TRUSTED_PROXIES]))
    except ValueError:
        return remote


def _return_large_blocks() -> None:
    """glibc raises its mmap threshold after large blocks are freed, after which the
    blocks of password hashing (Argon2, 19 MiB per login) stay in the worker's heaps, one per
    thread: measured 252 MB per worker after logins with 8 threads, 124-143 MB with the
    threshold fixed here (docs/performance.md, memory)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def application():
    """Factory for granian (`--factory`): the Django app behind the bridge."""
    from .wsgi import application as wsgi_app

    _return_large_blocks()
    return BufferingBridge(wsgi_app, threads=int(os.environ.get("OMGEVING_THREADS", 8)))

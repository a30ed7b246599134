"""One attempt to deliver a webhook: sign, check the address again, connect to exactly that
address, post, read a little of the answer — and end at the timeout, whatever the receiver does.

httpx's timeouts are per operation (connect, each read, each write): a receiver that sends
its status line and headers one byte every few seconds never trips them, and was seen to keep
a worker inside one attempt for 434 s against a 5 s limit. So every attempt runs under a
watchdog that, at the deadline, shuts down the sockets the attempt's client has open (the TLS
handshake included: the socket is shut down by its descriptor, which TLS keeps). The blocked
read then fails at once and the attempt is recorded as timed out.
"""

from __future__ import annotations

import datetime
import json
import socket
import threading
import time
from dataclasses import dataclass

import httpcore
import httpx
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook as Signer

from . import services, ssrf
from .models import Webhook, WebhookDelivery

USER_AGENT = "Omgeving-Webhooks/1"
MAX_RESPONSE = 64 * 1024  # read at most this much of a receiver's answer


@dataclass
class Outcome:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str


def sign(webhook: Webhook, event_id: str, body: str, now: datetime.datetime) -> dict:
    """Standard Webhooks headers; during a secret's rotation two signatures, so a receiver
    verifying with either the old or the new secret accepts the message."""
    signatures = [Signer(secret).sign(event_id, now, body)
                  for secret in services.signing_secrets(webhook, now)]
    return {"webhook-id": event_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": " ".join(signatures), "content-type": "application/json",
            "user-agent": USER_AGENT}


class _Watched(httpcore.NetworkStream):
    """A connection of the watched client: registered while it is open, by descriptor."""

    def __init__(self, inner, backend: _Backend):
        self.inner, self.backend = inner, backend
        self.fd = inner.get_extra_info("socket").fileno()
        backend.register(self)

    def read(self, max_bytes, timeout=None):
        return self.inner.read(max_bytes, timeout)

    def write(self, buffer, timeout=None):
        return self.inner.write(buffer, timeout)

    def close(self):
        self.backend.unregister(self)
        self.inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        upgraded = self.inner.start_tls(ssl_context, server_hostname, timeout)
        self.backend.unregister(self)  # the same descriptor, now under TLS
        return _Watched(upgraded, self.backend)

    def get_extra_info(self, info):
        return self.inner.get_extra_info(info)


class _Backend(httpcore.SyncBackend):
    def __init__(self):
        self.open: set[_Watched] = set()
        self.lock = threading.Lock()

    def connect_tcp(self, *args, **kwargs):
        return _Watched(super().connect_tcp(*args, **kwargs), self)

    def register(self, stream):
        with self.lock:
            self.open.add(stream)

    def unregister(self, stream):
        with self.lock:
            self.open.discard(stream)

    def cut(self) -> None:
        """Shut down every open connection (from the watchdog's thread)."""
        with self.lock:  # a connection is not closed (its descriptor not reused) meanwhile
            for stream in self.open:
                try:
                    sock = socket.socket(fileno=stream.fd)
                except OSError:
                    continue
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                finally:
                    sock.detach()  # the descriptor stays the connection's to close


def http_client(verify=True) -> httpx.Client:
    """The client of one worker's run: no redirects, no proxies from the environment, and a
    backend whose connections the watchdog of `send` can cut."""
    timeout = settings.WEBHOOK_TIMEOUT
    transport = httpx.HTTPTransport(verify=verify)
    backend = _Backend()
    transport._pool._network_backend = backend  # httpx offers no other way to pass one
    client = httpx.Client(transport=transport, timeout=httpx.Timeout(timeout, pool=timeout),
                          follow_redirects=False, trust_env=False, headers={"accept": "*/*"})
    client.omgeving_backend = backend
    return client


def send(client: httpx.Client, webhook: Webhook, delivery: WebhookDelivery) -> Outcome:
    """One attempt. Never follows a redirect; ends at the timeout (a watchdog cuts the
    connection of an attempt that outlives it)."""
    started = time.monotonic()
    body = json.dumps(delivery.payload, separators=(",", ":"))
    headers = sign(webhook, delivery.event_id, body, timezone.now())
    limit = settings.WEBHOOK_TIMEOUT
    timed_out = _("Timed out after %(seconds)s s.") % {"seconds": limit}

    def outcome(ok, status=None, error=""):
        return Outcome(ok, status, int((time.monotonic() - started) * 1000), error[:500])

    try:
        target = ssrf.check(webhook.url)
    except ssrf.Refused as exc:
        return outcome(False, error=_("Not delivered: %(reason)s") % {"reason": exc})
    url = httpx.URL(webhook.url)
    pinned = url.copy_with(host=target.address)  # the checked address, not a new lookup
    headers["host"] = url.netloc.decode("ascii")
    extensions = {} if target.host == target.address else {"sni_hostname": target.host}
    deadline = started + limit
    backend = getattr(client, "omgeving_backend", None)
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()),
                               backend.cut if backend else (lambda: None))
    watchdog.daemon = True
    watchdog.start()
    try:
        with client.stream("POST", pinned, content=body.encode(), headers=headers,
                           extensions=extensions) as response:
            received = 0
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > MAX_RESPONSE or time.monotonic() > deadline:
                    break
            if time.monotonic() > deadline:
                return outcome(False, response.status_code, timed_out)
            status = response.status_code
            if 200 <= status < 300:
                return outcome(True, status)
            if response.is_redirect:
                return outcome(False, status, _("Answered a redirect (%(status)s to "
                               "%(location)s); redirects are not followed.") % {
                                   "status": status,
                                   "location": response.headers.get("location", "?")[:200]})
            return outcome(False, status, _("Answered %(status)s.") % {"status": status})
    except httpx.TimeoutException:
        return outcome(False, error=timed_out)
    except httpx.HTTPError as exc:
        if time.monotonic() >= deadline:  # cut by the watchdog
            return outcome(False, error=timed_out)
        return outcome(False, error=_("Could not connect: %(error)s")
                       % {"error": type(exc).__name__ + (f": {exc}" if str(exc) else "")})
    finally:
        watchdog.cancel()

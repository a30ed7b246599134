"""A receiver that answers slowly on purpose (issue 20's outside attack): headers one byte at
a time, or a TLS handshake that never ends. One attempt ends at the timeout whatever the
receiver does, and a worker caught by one organisation's receiver still delivers another's.
An attempt that outlives its lease never moves the cursor (back)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from omgeving.webhooks import delivery, sending
from omgeving.webhooks.models import Webhook, WebhookDelivery

from ..helpers import make_app
from .receiver import Receiver
from .test_worker import env, new_users, setup_hook, workers  # noqa: F401  (fixtures)


class Trickler:
    """Accepts connections, reads what comes, then sends `reply` one byte every `every` s,
    for up to `for_seconds` per connection."""

    def __init__(self, reply=b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", every=0.3,
                 for_seconds=60.0):
        self.reply, self.every, self.for_seconds = reply * 100, every, for_seconds
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.connections = 0
        self.stopped = threading.Event()

    def _serve(self, conn):
        with conn:
            conn.settimeout(1)
            try:
                conn.recv(65536)
            except OSError:
                pass
            ends = time.monotonic() + self.for_seconds
            for byte in self.reply:
                if self.stopped.is_set() or time.monotonic() > ends:
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return  # the client cut the connection: what we want
                time.sleep(self.every)

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.listener.close()


@pytest.fixture
def local(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_TIMEOUT = 1


def _attempt(org, url):
    hook = Webhook.objects.create(organization=org, owner=make_app(org), events=["*"],
                                  url=url, secret="whsec_" + "A" * 43 + "=")
    item = WebhookDelivery(organization=org, webhook=hook, kind="ping", event_id="ping_1",
                           event_type="webhook.ping", payload={"id": "ping_1"})
    with sending.http_client(verify=False) as client:
        return sending.send(client, hook, item)


@pytest.mark.django_db
@pytest.mark.parametrize("scheme, reply", [
    ("http", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),  # headers, a byte at a time
    # A TLS record that never completes. CPython bounds a handshake by the socket's timeout
    # as a whole already; kept so that a change of client or TLS library cannot undo it.
    ("https", b"\x16\x03\x03\x3e\x80" + b"\x00" * 200),
])
def test_one_attempt_ends_at_the_timeout_whatever_the_receiver_does(org_a, local, scheme,
                                                                     reply):
    with Trickler(reply=reply) as trickler:
        result = _attempt(org_a, f"{scheme}://127.0.0.1:{trickler.port}/hook")
    # The receiver would have trickled for a minute; each byte came within httpx's per-read
    # timeout, so without the watchdog the attempt lasted until the receiver stopped.
    assert not result.ok and "Timed out after 1 s" in result.error, result
    assert result.duration_ms < 5_000, result


def test_a_worker_caught_by_one_organisations_receiver_still_delivers_anothers(
        org_a, org_b, workers, env):  # noqa: F811
    env["OMGEVING_WEBHOOK_TIMEOUT"] = "2"
    # A byte every 1.5 s, within the 2 s per-read timeout: the headers take a minute.
    with Trickler(every=1.5, for_seconds=120) as trickler, Receiver() as receiver:
        api_a, _ = setup_hook(org_a, trickler.url)
        api_b, _ = setup_hook(org_b, receiver.url)
        workers.start()  # one worker for both organisations
        new_users(api_a, 3, prefix="a")
        deadline = time.monotonic() + 20
        while not trickler.connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert trickler.connections, "the worker never reached the slow receiver"
        [user] = new_users(api_b, 1, prefix="b")
        # B's event arrives within seconds, not after A's receiver has trickled for 120 s.
        received = receiver.wait_for(1, timeout=20)
    assert len(received) == 1 and str(user).encode() in received[0].body


@pytest.mark.django_db
def test_an_attempt_that_outlived_its_lease_moves_no_cursor(org_a, local, monkeypatch):
    with Receiver() as receiver:
        hook = Webhook.objects.create(organization=org_a, owner=make_app(org_a),
                                      events=["users.*"], url=receiver.url,
                                      secret="whsec_" + "A" * 43 + "=")
        from ..helpers import make_person

        make_person(org_a, "joost")
        make_person(org_a, "lisa")
        real_send = sending.send

        def lease_lost_meanwhile(client, webhook, item):
            # Another worker takes over (the lease ran out) and delivers further.
            Webhook.objects.all_organizations().filter(pk=webhook.pk).update(
                lease_owner="another-worker", cursor=item.seq + 1)
            return real_send(client, webhook, item)

        monkeypatch.setattr(delivery, "send", lease_lost_meanwhile)
        delivery.run(hook.pk)
    hook.refresh_from_db()
    assert hook.cursor >= 2  # not rewound to the late attempt's event
    assert not WebhookDelivery.objects.for_organization(org_a).exists()  # its result dropped


@pytest.mark.django_db(transaction=True)  # the foreign key is checked at the commit
@pytest.mark.parametrize("kind", ["event", "ping"])
def test_a_webhook_deleted_during_its_delivery_ends_the_run_quietly(org_a, local, monkeypatch,
                                                                    kind):
    from omgeving.webhooks import services

    from ..helpers import make_person

    with Receiver() as receiver:
        hook = Webhook.objects.create(organization=org_a, owner=make_app(org_a),
                                      events=["users.*"], url=receiver.url,
                                      secret="whsec_" + "A" * 43 + "=")
        if kind == "ping":
            services.ping(hook)
        else:
            make_person(org_a, "joost")
        real_send = sending.send

        def deleted_meanwhile(client, webhook, item):
            Webhook.objects.all_organizations().filter(pk=webhook.pk).delete()
            return real_send(client, webhook, item)

        monkeypatch.setattr(delivery, "send", deleted_meanwhile)
        delivery.run(hook.pk)  # used to raise IntegrityError (the delivery's foreign key)
    assert not Webhook.objects.all_organizations().filter(pk=hook.pk).exists()
    assert not WebhookDelivery.objects.all_organizations().exists()

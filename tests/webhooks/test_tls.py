"""https delivery to the checked address: the connection goes to the address the SSRF guard
approved, while TLS (SNI and the certificate check) and the Host header use the URL's name.
A certificate for another name is refused."""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading

import pytest
from standardwebhooks import Webhook as Verifier

from omgeving.webhooks import sending, ssrf
from omgeving.webhooks.models import Webhook, WebhookDelivery

from ..helpers import make_app


def certificate(tmp_path, name):
    key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}"], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_receiver(tmp_path):
    cert, key = certificate(tmp_path, "hooks.example.test")
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], cert, received
    server.shutdown()


@pytest.mark.django_db
def test_https_to_the_pinned_address_with_the_urls_name(tls_receiver, org_a, settings,
                                                        monkeypatch):
    port, cert, received = tls_receiver
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback; https is required
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["127.0.0.1"])
    hook = Webhook.objects.create(
        organization=org_a, owner=make_app(org_a), events=["*"],
        url=f"https://hooks.example.test:{port}/omgeving", secret="whsec_" + "A" * 43 + "=")
    item = WebhookDelivery(organization=org_a, webhook=hook, kind="ping", event_id="ping_1",
                           event_type="webhook.ping", payload={"id": "ping_1"})
    with sending.http_client(verify=ssl.create_default_context(cafile=str(cert))) as client:
        result = sending.send(client, hook, item)
    assert result.ok and result.status_code == 204, result.error
    [(headers, body)] = received
    assert {k.lower(): v for k, v in headers.items()}["host"] == f"hooks.example.test:{port}", \
        headers
    Verifier(hook.secret).verify(body, headers)
    # The same address under a name the certificate does not carry: refused by TLS.
    hook.url = f"https://other.example.test:{port}/omgeving"
    with sending.http_client(verify=ssl.create_default_context(cafile=str(cert))) as client:
        refused = sending.send(client, hook, item)
    assert not refused.ok and "Could not connect" in refused.error and len(received) == 1

"""The Python SDK (clients/python, package omgeving-client) against a live server."""

from __future__ import annotations

import datetime
import json

import httpx
import pytest
import time_machine
from omgeving_client import Client, errors
from omgeving_client import webhooks as sdk_webhooks
from standardwebhooks import Webhook as Signer

from omgeving.accounts import services as accounts
from omgeving.accounts.models import Role, User

from ..helpers import APP_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    """httpx event hooks: every request and response the SDK sent and got."""

    def __init__(self):
        self.calls: list[tuple[str, str, int]] = []
        self.replayed: list[bool] = []
        self.bodies: list[bytes] = []

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(timeout=30, event_hooks={"response": [self.response]}, **kwargs)

    def response(self, response):
        response.read()
        self.calls.append((response.request.method, response.request.url.path,
                           response.status_code))
        self.bodies.append(response.request.content)
        if response.request.method == "POST" and "Idempotency-Key" in response.request.headers:
            self.replayed.append(response.headers.get("Idempotent-Replayed") == "true")

    def paths(self, method=None):
        return [p for m, p, _ in self.calls if method in (None, m)]


@pytest.fixture(autouse=True)
def _close_clients(monkeypatch):
    """Every client a test makes is closed after it: a kept-alive connection would keep a
    live-server thread, and its database session, after the test."""
    made = []
    original = Client.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Client, "__init__", init)
    yield
    for client in made:
        client.close()


@pytest.fixture
def sdk(live_server, org_a, app_a):
    recorder = Recorder()
    client = Client(live_server.url, "org-a", "api", APP_PASSWORD,
                    http_client=recorder.client())
    client.recorder = recorder
    yield client
    client.close()


def test_list_yields_every_user_across_pages(sdk, org_a):
    made = {accounts.create_user(organization=org_a, username=f"c{n}", roles=[Role.CLIENT]).pk
            for n in range(230)}
    accounts.create_user(organization=org_a, username="prof", roles=[Role.COUNSELOR])
    listed = [user["id"] for user in sdk.users.list(role="CLIENT")]
    assert len(listed) == 230 and set(listed) == made
    assert len([p for p in sdk.recorder.paths("GET") if p == "/api/users/"]) == 3  # 3 pages


def test_token_is_refreshed_before_it_expires(sdk):
    """The client's and the server's clocks travel together: the client renews the token in
    its last fifth of life with the token itself (token-refresh, no password login), and the
    server never has to refuse it; a token already expired is not offered for renewal: the
    client logs in."""
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=False) as traveller:
        sdk.users.get(User.objects.get(username="api").pk)
        traveller.shift(4 * 60 + 45)
        list(sdk.users.list())
        traveller.shift(6 * 60)
        list(sdk.users.list())
    tokens = [(p, b) for (_, p, _), b in zip(sdk.recorder.calls, sdk.recorder.bodies,
                                             strict=True) if p.startswith("/api/token")]
    assert [p for p, _ in tokens] == ["/api/token-auth/", "/api/token-refresh/",
                                      "/api/token-auth/"]
    renewal = json.loads(tokens[1][1])
    assert set(renewal) == {"token"}  # no password
    assert all(status != 401 for _, _, status in sdk.recorder.calls)


def test_ten_clients_of_one_application_run_15_minutes_without_a_429(live_server, org_a,
                                                                      app_a):
    """Ten processes sharing one Application user, each calling every 30 seconds for 15
    minutes (the clocks travel; the server's limits are the real ones: 10 password logins
    per user per 5 minutes). Renewing by password did 40 logins and hit 429 after 10."""
    recorders = [Recorder() for _ in range(10)]
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=False) as traveller:
        clients = [Client(live_server.url, "org-a", "api", APP_PASSWORD, max_retries=0,
                          http_client=r.client()) for r in recorders]
        for _ in range(30):
            for client in clients:
                assert [u["username"] for u in client.users.list()] == ["api"]
            traveller.shift(30)
    calls = [c for r in recorders for c in r.calls]
    assert not [c for c in calls if c[2] == 429]
    assert [p for _, p, _ in calls].count("/api/token-auth/") == 10  # one login each
    assert [p for _, p, _ in calls].count("/api/token-refresh/") >= 30


def test_a_token_the_server_calls_expired_is_obtained_again(live_server, org_a, app_a):
    """The client's clock stood still (a suspended laptop) while the server's went on 6
    minutes: the server answers 401 token_expired, the client gets a new token and repeats
    the call; the caller sees only the answer."""
    recorder = Recorder()
    frozen = datetime.datetime.now(datetime.UTC).timestamp()
    client = Client(live_server.url, "org-a", "api", APP_PASSWORD,
                    http_client=recorder.client(), clock=lambda: frozen)
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=False) as traveller:
        assert [u["username"] for u in client.users.list()] == ["api"]
        traveller.shift(6 * 60)
        assert [u["username"] for u in client.users.list()] == ["api"]
    assert [(m, p, s) for m, p, s in recorder.calls] == [
        ("POST", "/api/token-auth/", 200), ("GET", "/api/users/", 200),
        ("GET", "/api/users/", 401), ("POST", "/api/token-auth/", 200),
        ("GET", "/api/users/", 200)]


class LostAnswer(httpx.HTTPTransport):
    """The network between client and server loses the first answer to a POST of
    /api/users/: the server did the work, the client sees a 503 with Retry-After."""

    def __init__(self):
        super().__init__()
        self.lost = 0

    def handle_request(self, request):
        response = super().handle_request(request)
        if request.method == "POST" and request.url.path == "/api/users/" and not self.lost:
            response.read()
            self.lost += 1
            return httpx.Response(503, headers={"Retry-After": "2"}, request=request)
        return response


def test_a_retried_post_is_not_done_twice(live_server, org_a, app_a):
    recorder, waits = Recorder(), []
    transport = LostAnswer()
    client = Client(live_server.url, "org-a", "api", APP_PASSWORD, sleep=waits.append,
                    http_client=recorder.client(transport=transport))
    created = client.users.create(username="joost", roles=["CLIENT"])
    assert transport.lost == 1 and waits and waits[0] >= 2  # Retry-After honoured
    assert User.objects.filter(username="joost").count() == 1  # once, though sent twice
    assert created["username"] == "joost" and created["id"] == User.objects.get(
        username="joost").pk
    assert [(p, s) for m, p, s in recorder.calls] == [
        ("/api/token-auth/", 200), ("/api/users/", 503), ("/api/users/", 201)]
    assert recorder.replayed == [False, True]  # the second answer is the first one's replay


def test_retries_on_429_and_503_then_raises_with_the_code(live_server, org_a, app_a):
    class Busy(httpx.HTTPTransport):
        def handle_request(self, request):
            if request.url.path == "/api/users/":
                return httpx.Response(503, json={"code": "login_busy", "status": 503,
                                                 "detail": "busy"},
                                      headers={"Retry-After": "1"}, request=request)
            return super().handle_request(request)

    waits = []
    client = Client(live_server.url, "org-a", "api", APP_PASSWORD, sleep=waits.append,
                    max_retries=3, http_client=httpx.Client(transport=Busy()))
    with pytest.raises(errors.ServerError) as raised:
        list(client.users.list())
    assert raised.value.code == "login_busy" and len(waits) == 3 and min(waits) >= 1


def test_a_long_retry_after_is_raised_not_slept(live_server, org_a, app_a):
    class Limited(httpx.HTTPTransport):
        def handle_request(self, request):
            return httpx.Response(429, json={"code": "too_many_logins", "status": 429},
                                  headers={"Retry-After": "300"}, request=request)

    waits = []
    client = Client(live_server.url, "org-a", "api", APP_PASSWORD, sleep=waits.append,
                    http_client=httpx.Client(transport=Limited()))
    with pytest.raises(errors.RateLimited) as raised:
        client.users.get(1)
    assert raised.value.code == "too_many_logins" and waits == []
    assert raised.value.headers["retry-after"] == "300"


def test_errors_carry_the_problem_code(sdk):
    sdk.users.create(username="joost", roles=["CLIENT"])
    with pytest.raises(errors.Conflict) as taken:
        sdk.users.create(username="joost", roles=["CLIENT"])
    assert taken.value.code == "username_taken" and taken.value.status == 409
    with pytest.raises(errors.BadRequest) as bad:
        sdk.users.create(username="x", roles=["NOPE"])
    assert bad.value.errors and bad.value.errors[0]["field"].startswith("roles")
    with pytest.raises(errors.NotFound) as missing:
        sdk.users.get(999999)
    assert missing.value.code == "not_found"
    wrong = Client(sdk.base_url.replace("127.0.0.1", "localhost"), "org-a", "api", "nope")
    with pytest.raises(errors.CredentialsRefused):
        wrong.users.get(1)


def test_updates_use_the_etag(sdk):
    user = sdk.users.create(username="joost", roles=["CLIENT"])
    read = sdk.users.get(user["id"])
    assert read.etag == '"1"'
    sdk.users.update(user["id"], first_name="Someone else")  # a change in between
    with pytest.raises(errors.PreconditionFailed) as stale:
        sdk.users.update(read, first_name="Joost")
    assert stale.value.code == "precondition_failed"
    changed = sdk.users.modify(user["id"], lambda current: {
        "first_name": current["first_name"] + " (checked)"})
    assert changed["first_name"] == "Someone else (checked)" and changed.etag == '"3"'


def test_upsert_and_bulk(sdk):
    first = sdk.users.upsert("ecd-1", username="joost", roles=["CLIENT"])
    again = sdk.users.upsert("ecd-1", username="joost", roles=["CLIENT"], first_name="J")
    assert again["id"] == first["id"] and again["first_name"] == "J"
    results = sdk.users.bulk({"external_id": f"ecd-{n}", "username": f"u{n}",
                              "roles": ["CLIENT"]} for n in range(1, 4))
    assert [r["status"] for r in results] == ["updated", "created", "created"]


def test_changes_list_and_follow(sdk):
    start = sdk.changes.latest()
    user = sdk.users.create(username="joost", roles=["CLIENT"])
    [event] = list(sdk.changes.list(after=start, resource="users"))
    assert event["object_id"] == user["id"] and event["action"] == "created"
    waited = []
    follow = sdk.changes.follow(after=start, resource="users", wait=waited.append)
    assert next(follow)["object_id"] == user["id"]
    sdk.users.update(user["id"], first_name="J")
    assert next(follow)["action"] == "updated"
    assert waited == [5.0]  # it waited once, found nothing, then read the update


def test_webhook_verify():
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = json.dumps({"id": "evt_demo_1", "type": "users.created"})
    now = datetime.datetime.now(datetime.UTC)
    headers = {"webhook-id": "evt_demo_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Signer(secret).sign("evt_demo_1", now, body)}
    assert sdk_webhooks.verify(headers, body, secret)["type"] == "users.created"
    assert sdk_webhooks.verify(headers, body.encode(), ["whsec_b3RoZXI=", secret])
    with pytest.raises(sdk_webhooks.InvalidSignature):
        sdk_webhooks.verify(headers, body.replace("created", "deleted"), secret)
    with pytest.raises(sdk_webhooks.InvalidSignature):
        sdk_webhooks.verify({**headers, "webhook-timestamp": str(int(now.timestamp()) - 600)},
                            body, secret)


def test_the_sdk_type_checks_strictly():
    import subprocess
    import sys
    from pathlib import Path

    import omgeving_client

    package = Path(omgeving_client.__file__).parent
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                             str(package)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_sdk_is_typed_and_packaged():
    from pathlib import Path

    import omgeving_client

    package = Path(omgeving_client.__file__).parent
    assert (package / "py.typed").exists()
    pyproject = (package.parents[1] / "pyproject.toml").read_text()
    assert 'name = "omgeving-client"' in pyproject and '"httpx' in pyproject



def test_the_sdk_readme_names_every_resource():
    from pathlib import Path

    from omgeving_client.resources import Resource

    client = Client("http://localhost", "demo", "api", "x")
    readme = (Path(__file__).resolve().parents[2] / "clients" / "python" / "README.md"
              ).read_text()
    names = [n for n, v in vars(client).items() if isinstance(v, Resource)
             or type(v).__module__.endswith("resources")]
    assert len(names) >= 15
    for name in names:
        assert f"`{name}`" in readme or f"client.{name}" in readme, name

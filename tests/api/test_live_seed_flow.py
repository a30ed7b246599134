"""The seed's whole flow over real HTTP, against two organisations on one live server."""

from __future__ import annotations

import pytest
import requests
import time_machine

from ..helpers import APP_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


class Org:
    def __init__(self, live_server, slug):
        self.base = live_server.url
        self.host = f"{slug}.localhost:{live_server.url.rsplit(':', 1)[1]}"
        self.session = requests.Session()  # keep-alive, as an integrator would

    def call(self, method, path, token=None, **kwargs):
        headers = {"Host": self.host, **kwargs.pop("headers", {})}
        if token:
            headers["Authorization"] = f"JWT {token}"
        return self.session.request(method, self.base + path, headers=headers, timeout=10,
                                    **kwargs)

    def token(self, path="/api/token-auth/"):
        response = self.call("POST", path, json={"username": "api", "password": APP_PASSWORD})
        assert response.status_code == 200, response.text
        return response.json()["token"]


def test_seed_flow_over_http(live_server, org_a, org_b, app_a, app_b):
    a, b = Org(live_server, "org-a"), Org(live_server, "org-b")
    with time_machine.travel(1_900_000_000, tick=False) as traveller:
        token_a = a.token()
        response = a.call("GET", "/api/users/", token_a)
        assert response.status_code == 200
        assert [u["username"] for u in response.json()["results"]] == ["api"]
        assert response.headers["Content-Type"] == "application/json"

        # A's token at B: refused, whatever B's data is.
        response = b.call("GET", "/api/users/", token_a)
        assert response.status_code == 401
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "token_wrong_organization"
        assert response.headers["WWW-Authenticate"] == 'JWT realm="api"'

        # B's own flow works beside it.
        assert b.call("GET", "/api/users/", b.token()).status_code == 200

        traveller.shift(5 * 60 + 31)
        response = a.call("GET", "/api/users/", token_a)
        assert response.status_code == 401 and response.json()["code"] == "token_expired"

        # Refresh as the seed says: username and password to the refresh URL.
        refreshed = a.token("/api/token-refresh/")
        assert a.call("GET", "/api/users/", refreshed).status_code == 200

        # Writes over HTTP too.
        response = a.call("POST", "/api/users/", refreshed,
                          json={"username": "joost", "roles": ["CLIENT"]})
        assert response.status_code == 201
        assert b.call("GET", f"/api/users/{response.json()['id']}/", b.token()).status_code \
            == 404


def test_unknown_organisation_over_http(live_server, org_a):
    nobody = Org(live_server, "nobody")
    response = nobody.call("POST", "/api/token-auth/", json={"username": "api", "password": "x"})
    assert response.status_code == 404
    assert response.json()["code"] == "organization_not_found"


def test_a_path_without_its_slash_is_a_404_for_every_method_never_a_redirect(
        live_server, org_a, app_a):
    """The README's own urllib helper and httpx follow a 301 as a GET: a POST to /api/users
    used to read the list and create nothing, without an error."""
    import json
    import urllib.error
    import urllib.request

    import httpx

    from omgeving.accounts.models import User

    a = Org(live_server, "org-a")
    token = a.token()
    body = json.dumps({"username": "nieuw", "roles": ["CLIENT"]}).encode()
    request = urllib.request.Request(a.base + "/api/users", body, method="POST", headers={
        "Host": a.host, "Content-Type": "application/json", "Authorization": f"JWT {token}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 404
    problem = json.load(refused.value)
    assert problem["code"] == "slash_missing" and problem["detail"].endswith("/api/users/")
    for method in ("GET", "PUT", "PATCH", "DELETE", "POST"):
        answer = httpx.request(method, a.base + "/api/users", follow_redirects=True,
                               headers={"Host": a.host, "Authorization": f"JWT {token}"},
                               json={"username": "nieuw"} if method != "GET" else None)
        assert answer.status_code == 404 and answer.json()["code"] == "slash_missing", method
        assert not answer.history, method  # nothing was redirected
    assert not User.objects.filter(username="nieuw").exists()
    # The same call with its slash writes and reads.
    assert a.call("POST", "/api/users/", token, json={
        "username": "nieuw", "roles": ["CLIENT"]}).status_code == 201
    assert a.call("GET", "/api/users/nieuw", token).json()["detail"].endswith(
        "/api/users/nieuw/")

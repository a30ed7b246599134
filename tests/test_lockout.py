from __future__ import annotations

import pytest
from django.test import override_settings

from omgeving.api.client import client_ip

from .helpers import APP_PASSWORD, client_for, make_app

pytestmark = pytest.mark.django_db


def login(org, username, password, ip="203.0.113.7", path="/api/token-auth/", **extra):
    return client_for(org).post(path, {"username": username, "password": password},
                                format="json", REMOTE_ADDR=ip, **extra)


def assert_locked(response):
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "too_many_attempts"
    assert int(response["Retry-After"]) == 900


@pytest.mark.parametrize("username", ["api", "nobody"])  # known and unknown: the same
def test_username_locks_after_five_failures(org_a, app_a, username, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    answers = [login(org_a, username, "wrong", ip=f"198.51.100.{i}") for i in range(5)]
    assert [r.status_code for r in answers] == [400, 400, 400, 400, 429]
    assert_locked(answers[-1])
    # Now even the right password is refused, from yet another address.
    assert_locked(login(org_a, username, APP_PASSWORD, ip="198.51.100.99"))


def test_lockout_answers_are_identical_for_known_and_unknown(org_a, app_a):
    def fifth(username, net):
        for i in range(4):
            login(org_a, username, "wrong", ip=f"{net}.{i}")
        return login(org_a, username, "wrong", ip=f"{net}.9")

    known, unknown = fifth("api", "198.51.100"), fifth("nobody", "192.0.2")
    assert known.content == unknown.content
    assert known["Retry-After"] == unknown["Retry-After"]


def test_address_locks_after_five_failures_over_many_usernames(org_a, app_a):
    for i in range(4):
        assert login(org_a, f"guess{i}", "wrong").status_code == 400
    assert_locked(login(org_a, "guess9", "wrong"))
    assert_locked(login(org_a, "api", APP_PASSWORD))  # same address
    assert login(org_a, "api", APP_PASSWORD, ip="198.51.100.1").status_code == 200


def test_refresh_by_password_counts_too(org_a, app_a):
    for i in range(4):
        login(org_a, "api", "wrong", path="/api/token-refresh/", ip=f"198.51.100.{i}")
    assert_locked(login(org_a, "api", "wrong", path="/api/token-refresh/"))
    assert_locked(login(org_a, "api", APP_PASSWORD, path="/api/token-auth/", ip="192.0.2.1"))


def test_success_clears_earlier_failures(org_a, app_a):
    for i in range(4):
        login(org_a, "api", "wrong", ip=f"198.51.100.{i}")
    assert login(org_a, "api", APP_PASSWORD, ip="192.0.2.1").status_code == 200
    for i in range(4):
        assert login(org_a, "api", "wrong", ip=f"192.0.2.{10 + i}").status_code == 400


def test_lockout_is_per_organisation(org_a, org_b, app_a):
    make_app(org_b)
    for i in range(5):
        login(org_a, "api", "wrong", ip=f"198.51.100.{i}")
    assert login(org_b, "api", APP_PASSWORD, ip="192.0.2.1").status_code == 200


def test_lockout_ends_after_the_cool_off(org_a, app_a):
    import time_machine

    with time_machine.travel("2030-01-01 12:00:00+00:00", tick=False) as traveller:
        for i in range(5):
            login(org_a, "api", "wrong", ip=f"198.51.100.{i}")
        assert_locked(login(org_a, "api", APP_PASSWORD, ip="192.0.2.1"))
        traveller.shift(901)
        assert login(org_a, "api", APP_PASSWORD, ip="192.0.2.1").status_code == 200


class FakeRequest:
    def __init__(self, remote, forwarded=None):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


@pytest.mark.parametrize("proxies,remote,forwarded,expected", [
    (0, "10.0.0.1", "6.6.6.6", "10.0.0.1"),  # no trusted proxy: the header is ignored
    (1, "10.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the proxy appended the client
    (1, "10.0.0.1", None, "10.0.0.1"),
    (2, "10.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
    (2, "10.0.0.1", "203.0.113.7", "10.0.0.1"),  # fewer hops than proxies: not ours
    (1, "10.0.0.1", "not-an-ip", "10.0.0.1"),
])
def test_client_ip_trusts_only_the_configured_proxies(proxies, remote, forwarded, expected):
    with override_settings(TRUSTED_PROXIES=proxies):
        assert client_ip(FakeRequest(remote, forwarded)) == expected

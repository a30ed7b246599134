"""Login throttling (omgeving/accounts/lockout.py): locks guessing, not the owner, never
another organisation."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import override_settings

from omgeving.accounts import lockout
from omgeving.accounts import services as accounts
from omgeving.accounts.models import LoginThrottle, User
from omgeving.api.client import client_ip

from ..helpers import APP_PASSWORD, admin_of, client_for, log_in, make_app, totp_code

pytestmark = pytest.mark.django_db


def login(org, username, password, ip="203.0.113.7", path="/api/token-auth/", **extra):
    return client_for(org).post(path, {"username": username, "password": password},
                                format="json", REMOTE_ADDR=ip, **extra)


def assert_locked(response, code="too_many_attempts"):
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert int(response["Retry-After"]) > 0
    return int(response["Retry-After"])


@pytest.mark.parametrize("username", ["api", "nobody"])  # known and unknown: the same
def test_a_username_locks_from_the_guessing_address_only(org_a, app_a, username):
    answers = [login(org_a, username, "wrong") for _ in range(6)]
    assert [r.status_code for r in answers] == [400, 400, 400, 400, 400, 429]
    assert 890 <= assert_locked(answers[-1]) <= 901
    assert_locked(login(org_a, username, APP_PASSWORD))  # even the right password, there
    if username == "api":  # …but the owner elsewhere is not locked out
        assert login(org_a, username, APP_PASSWORD, ip="192.0.2.50").status_code == 200


def test_lockout_answers_are_identical_for_known_and_unknown(org_a, app_a):
    def sixth(username):
        for _ in range(5):
            login(org_a, username, "wrong")
        return login(org_a, username, "wrong")

    known, unknown = sixth("api"), sixth("nobody")
    assert known.content == unknown.content
    assert known["Retry-After"] == unknown["Retry-After"]


def test_many_addresses_lock_a_username_but_not_its_known_address(org_a, app_a, settings):
    assert login(org_a, "api", APP_PASSWORD, ip="192.0.2.10").status_code == 200  # the ECD
    for i in range(settings.LOCKOUT_USER_FAILURES):
        login(org_a, "api", "wrong", ip=f"198.51.100.{i}")  # a distributed guesser
    assert_locked(login(org_a, "api", APP_PASSWORD, ip="198.51.100.200"))  # a new address
    assert login(org_a, "api", APP_PASSWORD, ip="192.0.2.10").status_code == 200  # the owner


def test_an_address_is_known_for_the_user_who_logged_in_from_it_only(org_a, app_a, settings):
    make_app(org_a, username="api-2")
    assert login(org_a, "api", APP_PASSWORD, ip="192.0.2.10").status_code == 200
    for i in range(settings.LOCKOUT_USER_FAILURES):
        login(org_a, "api-2", "wrong", ip=f"198.51.100.{i}")
    assert_locked(login(org_a, "api-2", APP_PASSWORD, ip="192.0.2.10"))  # api's, not api-2's


@pytest.mark.parametrize(("days", "known"), [(29, True), (31, False)])
def test_an_address_stays_known_for_30_days(org_a, app_a, settings, days, known):
    """The owner's address is spared a username's lockout for 30 days after their last
    successful login from it (LOGIN_KNOWN_DAYS), not longer."""
    assert login(org_a, "api", APP_PASSWORD, ip="192.0.2.10").status_code == 200
    with time_machine.travel(datetime.timedelta(days=days, hours=1)):
        for i in range(settings.LOCKOUT_USER_FAILURES):
            login(org_a, "api", "wrong", ip=f"198.51.100.{i}")
        answer = login(org_a, "api", APP_PASSWORD, ip="192.0.2.10")
        if known:
            assert answer.status_code == 200
        else:
            assert_locked(answer)


def test_an_address_locks_at_one_organisation_only(org_a, org_b, app_a, settings):
    make_app(org_b)
    for i in range(settings.LOCKOUT_ADDRESS_FAILURES):
        login(org_a, f"guess{i}", "wrong")
    assert_locked(login(org_a, "someone-else", "wrong"))
    assert_locked(login(org_a, "api", APP_PASSWORD))  # this address at this organisation
    # The same address (an ECD vendor serving both) still works at the other organisation.
    assert login(org_b, "api", APP_PASSWORD).status_code == 200


def test_failures_at_one_organisation_never_lock_another(org_a, org_b, app_a):
    """The platform-wide lock of the old defence: 5 typos at A locked B's users and admins."""
    make_app(org_b)
    for _ in range(10):
        login(org_a, "api", "wrong")
    assert login(org_b, "api", APP_PASSWORD).status_code == 200
    _, device = admin_of(org_b)
    client, response = log_in(org_b, "beheer", token=totp_code(device), ip="203.0.113.7")
    assert response.status_code == 302


def test_refresh_by_password_counts_too(org_a, app_a):
    for _ in range(5):
        login(org_a, "api", "wrong", path="/api/token-refresh/")
    assert_locked(login(org_a, "api", APP_PASSWORD, path="/api/token-auth/"))


def test_success_clears_the_address_counter(org_a, app_a):
    for _ in range(4):
        login(org_a, "api", "wrong")
    assert login(org_a, "api", APP_PASSWORD).status_code == 200
    for _ in range(4):
        assert login(org_a, "api", "wrong").status_code == 400


def test_lockout_ends_after_the_cool_off(org_a, app_a):
    with time_machine.travel("2030-01-01 12:00:00+00:00", tick=False) as traveller:
        for _ in range(5):
            login(org_a, "api", "wrong")
        assert_locked(login(org_a, "api", APP_PASSWORD))
        traveller.shift(901)
        assert login(org_a, "api", APP_PASSWORD).status_code == 200


def test_successful_logins_are_rate_limited_per_user(org_a, app_a, settings):
    with time_machine.travel("2030-01-01 12:00:00+00:00", tick=False) as traveller:
        for _ in range(settings.LOGIN_SUCCESS_LIMIT):
            assert login(org_a, "api", APP_PASSWORD).status_code == 200
        retry = assert_locked(login(org_a, "api", APP_PASSWORD), "too_many_logins")
        assert retry <= settings.LOGIN_SUCCESS_WINDOW + 1
        traveller.shift(settings.LOGIN_SUCCESS_WINDOW + 1)
        assert login(org_a, "api", APP_PASSWORD).status_code == 200


def test_one_users_logins_do_not_limit_another(org_a, app_a, settings):
    make_app(org_a, username="api-2")
    with time_machine.travel("2030-01-01 12:00:00+00:00", tick=False):
        for _ in range(settings.LOGIN_SUCCESS_LIMIT):
            assert login(org_a, "api", APP_PASSWORD).status_code == 200
        assert login(org_a, "api-2", APP_PASSWORD).status_code == 200
        assert_locked(login(org_a, "api", APP_PASSWORD), "too_many_logins")
        assert lockout.current_lockouts(org_a).count() == 0  # a rate limit, not a lockout


def test_without_an_address_only_the_username_counts(org_a, app_a, settings):
    """A login whose address is unknown (no REMOTE_ADDR behind a broken proxy) still counts
    against the username."""
    for _ in range(settings.LOCKOUT_USER_FAILURES):
        lockout.failed(org_a, "api", None)
    assert set(LoginThrottle.objects.values_list("scope", flat=True)) == {"user"}
    with pytest.raises(lockout.LockedOut):
        lockout.check(org_a, "api", None)


def test_a_reset_clears_one_username_only(org_a, app_a):
    for username in ("api", "other"):
        for _ in range(5):
            login(org_a, username, "wrong")
    assert lockout.reset(org_a, "api") == 2  # username+address and username (not the address)
    assert_locked(login(org_a, "other", "wrong"))
    assert login(org_a, "api", APP_PASSWORD).status_code == 200


def test_allowed_networks_refuse_an_unknown_address(org_a, app_a):
    app_a.allowed_networks = ["192.0.2.0/24"]
    assert not lockout.in_allowed_networks(app_a, None)
    assert lockout.in_allowed_networks(app_a, "192.0.2.9")
    app_a.allowed_networks = []
    assert lockout.in_allowed_networks(app_a, None)


def test_allowed_networks_refuse_elsewhere_without_counting(org_a, app_a):
    app_a.allowed_networks = ["192.0.2.0/24"]
    accounts.save_user(app_a)
    for _ in range(10):
        response = login(org_a, "api", APP_PASSWORD, ip="198.51.100.9")  # right password
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_credentials"  # like bad credentials
    for _ in range(10):
        login(org_a, "api", "wrong", ip="198.51.100.9")  # an outsider's guesses…
    assert not LoginThrottle.objects.filter(username="api").exists()  # …never count
    assert login(org_a, "api", APP_PASSWORD, ip="192.0.2.77").status_code == 200


def test_allowed_networks_are_validated(org_a, app_a):
    from django.core.exceptions import ValidationError

    app_a.allowed_networks = ["not-a-network"]
    with pytest.raises(ValidationError) as exc:
        accounts.save_user(app_a)
    assert exc.value.error_dict["allowed_networks"][0].code == "invalid_network"
    app_a.allowed_networks = ["192.0.2.7", "2001:db8::/32"]
    assert accounts.save_user(app_a).allowed_networks == ["192.0.2.7/32", "2001:db8::/32"]


def test_the_admin_sets_allowed_networks(org_a, app_a):
    _, device = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    response = client.post(f"/admin/accounts/user/{app_a.pk}/change/", {
        "username": "api", "roles": ["APPLICATION"], "grants": app_a.grants,
        "allowed_networks": "192.0.2.0/24\n198.51.100.7", "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=app_a.pk).allowed_networks == ["192.0.2.0/24",
                                                             "198.51.100.7/32"]


def test_the_admin_login_is_throttled_too(org_a):
    admin_of(org_a)
    for _ in range(5):
        log_in(org_a, "beheer", password="wrong")
    _, response = log_in(org_a, "beheer", password="wrong")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_cli_resets_a_lockout(org_a, app_a):
    for _ in range(5):
        login(org_a, "api", "wrong")
    assert_locked(login(org_a, "api", APP_PASSWORD))
    from omgeving.cli import main

    assert main(["lockout", "reset", "--org", "org-a", "--username", "api"]) == 0
    assert login(org_a, "api", APP_PASSWORD).status_code == 200


def test_outdated_hashes_are_upgraded_on_login(org_a, app_a, settings):
    settings.PASSWORD_HASHERS = ["omgeving.accounts.hashers.ServerArgon2PasswordHasher"]
    hasher = Argon2PasswordHasher()  # Django's own parameters…
    old = hasher.encode(APP_PASSWORD, hasher.salt())
    assert "m=102400" in old
    User.objects.filter(pk=app_a.pk).update(password=old)
    assert login(org_a, "api", APP_PASSWORD).status_code == 200
    upgraded = User.objects.get(pk=app_a.pk).password
    assert "m=19456,t=2,p=1" in upgraded  # …replaced by the server's at the next login


def test_concurrent_hash_checks_are_bounded(org_a, app_a, settings, monkeypatch):
    from omgeving.accounts import lockout

    monkeypatch.setattr(lockout, "_hash_slots", __import__("threading").BoundedSemaphore(1))
    settings.LOGIN_HASH_WAIT = 0.05
    lockout._hash_slots.acquire()  # another login holds the only slot
    try:
        response = login(org_a, "api", APP_PASSWORD)
    finally:
        lockout._hash_slots.release()
    assert response.status_code == 503 and response.json()["code"] == "login_busy"
    assert response["Retry-After"] == "1"
    assert login(org_a, "api", APP_PASSWORD).status_code == 200


def test_two_hash_checks_at_once_and_a_third_waits_ten_seconds(org_a, app_a, monkeypatch):
    """The documented bound, unchanged by the test: 2 password hashes at once per process
    (OMGEVING_LOGIN_HASH_SLOTS), and a login finding none free waits 10 s (LOGIN_HASH_WAIT)
    before its 503. The wait is recorded, not waited."""
    from omgeving.accounts import lockout

    slots, waits = lockout._hash_slots, []

    class Recorded:
        def acquire(self, timeout):
            waits.append(timeout)
            return slots.acquire(timeout=0)

        def release(self):
            slots.release()

    monkeypatch.setattr(lockout, "_hash_slots", Recorded())
    assert slots.acquire(blocking=False)  # another login holds one slot
    try:
        assert login(org_a, "api", APP_PASSWORD).status_code == 200  # the second was free
        assert slots.acquire(blocking=False)  # and now both are held
        try:
            response = login(org_a, "api", APP_PASSWORD)
        finally:
            slots.release()
    finally:
        slots.release()
    assert response.status_code == 503 and response.json()["code"] == "login_busy"
    assert waits and set(waits) == {10}


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


def test_an_ipv6_guesser_is_counted_by_its_64_not_by_each_address(org_a, app_a):
    """One host holds a whole /64: five guesses from five of its addresses lock the /64."""
    answers = [login(org_a, "api", "wrong", ip=f"2001:db8:5:6::{n:x}") for n in range(1, 7)]
    assert [r.status_code for r in answers] == [400, 400, 400, 400, 400, 429]
    assert_locked(login(org_a, "api", APP_PASSWORD, ip="2001:db8:5:6:ffff::1"))
    assert login(org_a, "api", APP_PASSWORD, ip="2001:db8:5:7::1").status_code == 200


def test_counters_that_count_nothing_are_pruned_by_the_sweep(org_a, app_a):
    import datetime

    from django.utils import timezone

    from omgeving.accounts.models import KnownLoginAddress
    from omgeving.webhooks.delivery import sweep
    from omgeving.webhooks.models import SweepSchedule

    for n in range(3):
        login(org_a, "api", "wrong", ip=f"198.51.100.{n}")
    login(org_a, "api", APP_PASSWORD, ip="192.0.2.1")
    assert LoginThrottle.objects.exists() and KnownLoginAddress.objects.exists()
    later = timezone.now() + datetime.timedelta(days=31)
    with time_machine.travel(later):
        login(org_a, "nobody", "wrong", ip="203.0.113.9")  # a counter of now stays
        SweepSchedule.objects.create(pk=1, next_run_at=timezone.now())
        sweep()
        assert set(LoginThrottle.objects.values_list("ip", flat=True)) == {"203.0.113.9",
                                                                          None}
        assert not KnownLoginAddress.objects.exists()

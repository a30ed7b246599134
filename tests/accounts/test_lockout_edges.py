"""The lockout's edges (omgeving/accounts/lockout.py): windows and locks at their last
second, Retry-After, pruning, one username at two organisations, the address lock, hash
slots. Written for what mutation testing found unguarded (docs/testing.md)."""

from __future__ import annotations

import pytest
import time_machine

from omgeving.accounts import lockout
from omgeving.accounts.models import LoginThrottle

from ..helpers import APP_PASSWORD
from .test_lockout import assert_locked, login

pytestmark = pytest.mark.django_db


def test_prune_keeps_running_locks_and_recent_addresses_and_counts_what_went(org_a, app_a,
                                                                             settings):
    """An old counter whose lock still runs stays; a known address younger than 30 days
    stays; prune() says how many rows went."""
    import datetime

    from django.utils import timezone

    from omgeving.accounts.models import KnownLoginAddress

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        login(org_a, "api", APP_PASSWORD, ip="192.0.2.1")  # known address, old by then
        for n in range(3):
            login(org_a, "nobody", "wrong", ip=f"198.51.100.{n}")  # 3 × 2 counters, no lock
    with time_machine.travel(start + datetime.timedelta(days=20), tick=False):
        login(org_a, "api", APP_PASSWORD, ip="192.0.2.2")  # known address, recent by then
    with time_machine.travel(start + datetime.timedelta(days=31), tick=False):
        LoginThrottle.objects.filter(username="nobody", ip="198.51.100.0").update(
            locked_until=timezone.now() + datetime.timedelta(minutes=5))  # a lock that runs
        before = LoginThrottle.objects.count() + KnownLoginAddress.objects.count()
        went = lockout.prune()
        after = LoginThrottle.objects.count() + KnownLoginAddress.objects.count()
        assert went == before - after > 0
        assert LoginThrottle.objects.filter(ip="198.51.100.0").exists()
        assert list(KnownLoginAddress.objects.values_list("ip", flat=True)) == ["192.0.2.2"]


def test_retry_after_is_the_seconds_the_lock_has_left(org_a, app_a):
    with time_machine.travel("2030-01-01 12:00:00+00:00", tick=False) as traveller:
        for _ in range(5):  # the fifth failure locks for 900 s
            login(org_a, "api", "wrong")
        assert login(org_a, "api", "wrong")["Retry-After"] == "901"  # rounded up
        traveller.shift(300)
        assert login(org_a, "api", "wrong")["Retry-After"] == "601"


def test_the_same_username_at_two_organisations_counts_apart(org_a, org_b, app_a, app_b,
                                                             settings):
    """Logins, lockouts and resets of 'api' at A never touch 'api' at B."""
    with time_machine.travel("2030-01-01 12:00:00+00:00", tick=False):
        for _ in range(settings.LOGIN_SUCCESS_LIMIT):
            assert login(org_a, "api", APP_PASSWORD).status_code == 200
        assert login(org_b, "api", APP_PASSWORD).status_code == 200
        for org in (org_a, org_b):
            for _ in range(5):
                login(org, "api", "wrong", ip="198.51.100.77")
        lockout.reset(org_a, "api")
        assert login(org_a, "api", "wrong", ip="198.51.100.77").status_code == 400
        assert_locked(login(org_b, "api", "wrong", ip="198.51.100.77"))


def test_an_ended_lock_is_no_longer_listed(org_a, app_a):
    with time_machine.travel("2030-01-01 12:00:00+00:00", tick=False) as traveller:
        for _ in range(5):
            login(org_a, "api", "wrong")
        assert lockout.current_lockouts(org_a).count() == 1
        traveller.shift(901)
        assert lockout.current_lockouts(org_a).count() == 0


def test_a_failure_inside_a_hash_slot_is_not_swallowed_and_frees_the_slot():
    for _ in range(3):  # more times than there are slots: each one was given back
        with pytest.raises(ZeroDivisionError), lockout.hash_slot():
            1 / 0  # noqa: B018


def test_a_counting_window_ends_at_its_last_second(org_a, app_a):
    """Four failures, then the window (900 s) has passed to the second: the count starts
    again from one, so four more do not lock, the fifth does."""
    with time_machine.travel("2030-01-01 12:00:00+00:00", tick=False) as traveller:
        for _ in range(4):
            login(org_a, "api", "wrong")
        traveller.shift(900)
        answers = [login(org_a, "api", "wrong").status_code for _ in range(5)]
        assert answers == [400, 400, 400, 400, 400]
        assert_locked(login(org_a, "api", "wrong"))
        assert LoginThrottle.objects.get(scope="user-address").count == 5


def test_a_lock_ends_at_its_last_second(org_a, app_a):
    with time_machine.travel("2030-01-01 12:00:00+00:00", tick=False) as traveller:
        for _ in range(5):
            login(org_a, "api", "wrong")
        traveller.shift(900)  # locked_until is now: over, and its count starts again
        assert login(org_a, "api", "wrong").status_code == 400
        assert login(org_a, "api", APP_PASSWORD).status_code == 200


def test_an_address_guessing_many_usernames_gets_the_address_lock(org_a, settings):
    for n in range(settings.LOCKOUT_ADDRESS_FAILURES):
        login(org_a, f"user{n}", "wrong", ip="198.51.100.66")
    [locked] = lockout.current_lockouts(org_a).filter(scope="address")
    assert locked.ip == "198.51.100.66" and locked.username == ""
    assert_locked(login(org_a, "someone-else", "wrong", ip="198.51.100.66"))


def test_a_counter_another_login_created_a_moment_ago_is_counted_on(org_a, monkeypatch):
    """Two failed logins of one username at once: both look for the counter, find none, and
    both insert it. The database's unique key lets one insert through; the other must count
    on the row just made (read again, locked), not fail and not lose the failure.

    The interleaving is forced, not hoped for: the row is made first (the other login's
    insert), and the lookup is made to miss it once (the moment before that insert)."""
    from django.db.models.query import QuerySet

    spec = lockout._key(org_a, "user", "api")
    rule = lockout.rules()["user"]
    lockout._count(dict(spec), rule)  # the other login's insert, committed
    real_first, missed = QuerySet.first, []

    def first_misses_once(queryset):
        if not missed and queryset.model is LoginThrottle:
            missed.append(True)
            return None
        return real_first(queryset)

    monkeypatch.setattr(QuerySet, "first", first_misses_once)
    throttle = lockout._count(dict(spec), rule)
    assert missed == [True]  # the race was taken
    assert throttle.key == spec["key"] and throttle.count == 2
    assert LoginThrottle.objects.get(key=spec["key"]).count == 2

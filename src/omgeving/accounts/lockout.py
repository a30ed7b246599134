"""Login throttling that locks *guessing*, not the owner and never the platform.

Every password login (token-auth, token-refresh by password, the admin login) passes here.
Counters live in the database (several workers, several servers) and never cross
organisations: each key starts with the organisation (or `platform`).

- username + address: failures of one username from one address; 5 in 15 minutes lock that
  username from that address for 15 minutes.
- username: failures of one username from anywhere; 20 in an hour lock that username for
  an hour from every address *except those it logged in from successfully in the last 30
  days* (so strangers cannot lock the owner out).
- address: failures from one address over any username, within one organisation; 30 in 15
  minutes lock that address at that organisation only (an ECD vendor's shared address still
  works at its other customers).
- successes: successful logins of one user; more than 10 in 5 minutes answer 429
  `too_many_logins` (an integration needs one token per few minutes).

Failures answer 400 `invalid_credentials`; a lock 429 `too_many_attempts`; both with the same
body for known and unknown usernames, and `Retry-After` on the 429.

- Unknown usernames are counted exactly like known ones (no enumeration).
- A lock is checked before any password hash is computed, so a locked guesser costs nothing.
- An Application user may have allowed address ranges (`allowed_networks`, CIDR, set by the
  administrator): a login from elsewhere is refused like a wrong password and is never
  counted, so nobody outside those ranges can lock it.
- A success clears its username + address counter.
- An IPv6 address counts as its /64; counters whose window and lock are over, and known
  addresses older than 30 days, are pruned by the worker's sweep (`prune()`).
- `omgeving lockout reset --org SLUG --username U` clears a username's counters; the
  organisation's administrators see and clear their lockouts in the admin.
"""

from __future__ import annotations

import datetime
import ipaddress
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from omgeving.errors import LoginRefused

from .models import KnownLoginAddress, LoginThrottle


class LockedOut(LoginRefused):
    pass


class TooManyLogins(LoginRefused):
    code = "too_many_logins"
    message = gettext_lazy("Too many successful logins for this user. A token lives 5 "
                           "minutes; reuse it. Try again in {seconds} seconds.")


class LoginBusy(LoginRefused):
    status = 503
    code = "login_busy"
    message = gettext_lazy("Too many logins are being checked at once. Try again in {seconds} "
                           "seconds.")


@dataclass(frozen=True)
class Rule:
    limit: int
    window: int  # seconds; also the lock's length


def rules() -> dict[str, Rule]:
    """Each counter's scope (LoginThrottle.scope) and its rule."""
    return {
        "user-address": Rule(settings.LOCKOUT_FAILURES, settings.LOCKOUT_COOLOFF),
        "user": Rule(settings.LOCKOUT_USER_FAILURES, settings.LOCKOUT_USER_WINDOW),
        "address": Rule(settings.LOCKOUT_ADDRESS_FAILURES, settings.LOCKOUT_COOLOFF),
        "success": Rule(settings.LOGIN_SUCCESS_LIMIT, settings.LOGIN_SUCCESS_WINDOW),
    }


def _org_key(organization) -> str:
    return str(organization.pk) if organization is not None else "platform"


def _key(organization, scope: str, username: str = "", ip: str | None = None) -> dict:
    return {"key": f"{_org_key(organization)}|{scope}|{username}|{ip or ''}",
            "organization": organization, "scope": scope, "username": username,
            "ip": ip or None}


def counted_address(ip: str | None) -> str | None:
    """The address a counter counts: an IPv4 address itself, an IPv6 address's /64 (one
    host usually holds a whole /64 and can use a new address for every guess)."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def prune() -> int:
    """Remove counters whose window and lock are over and known addresses older than the
    days they count for (the worker's sweep calls this); how many rows went."""
    now = timezone.now()
    longest = max(rule.window for rule in rules().values())
    counters, _ = LoginThrottle.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now),
        window_start__lt=now - datetime.timedelta(seconds=longest)).delete()
    known, _ = KnownLoginAddress.objects.filter(
        last_success__lt=now - datetime.timedelta(days=settings.LOGIN_KNOWN_DAYS)).delete()
    return counters + known


def _counters(organization, username: str, ip: str | None) -> dict[str, dict]:
    ip = counted_address(ip)
    return {
        "user-address": _key(organization, "user-address", username, ip),
        "user": _key(organization, "user", username),
        "address": _key(organization, "address", "", ip),
    }


def _seconds_left(until) -> int:
    return int((until - timezone.now()).total_seconds()) + 1


def check(organization, username: str, ip: str | None, user=None) -> None:
    """Raise LockedOut if this attempt is refused before its password is checked."""
    now = timezone.now()
    keys = _counters(organization, username, ip)
    locked = {t.scope: t for t in LoginThrottle.objects.filter(
        key__in=[k["key"] for k in keys.values()], locked_until__gt=now)}
    if not locked:
        return
    if "user" in locked and set(locked) == {"user"} and user is not None and ip and \
            KnownLoginAddress.objects.filter(
                user=user, ip=ip,
                last_success__gte=now - datetime.timedelta(days=settings.LOGIN_KNOWN_DAYS),
            ).exists():
        return  # the owner's own address: strangers' guesses do not lock it out
    raise LockedOut(max(_seconds_left(t.locked_until) for t in locked.values()))


def _count(spec: dict, rule: Rule) -> LoginThrottle:
    """Add one to a counter within its window; lock it when it reaches the limit."""
    now = timezone.now()
    with transaction.atomic():
        throttle = LoginThrottle.objects.select_for_update().filter(key=spec["key"]).first()
        if throttle is None:
            try:
                with transaction.atomic():
                    throttle = LoginThrottle.objects.create(**spec, count=0, window_start=now)
            except IntegrityError:
                throttle = LoginThrottle.objects.select_for_update().get(key=spec["key"])
        if throttle.window_start <= now - datetime.timedelta(seconds=rule.window) and not (
                throttle.locked_until and throttle.locked_until > now):
            throttle.count, throttle.window_start, throttle.locked_until = 0, now, None
        throttle.count += 1
        if throttle.count >= rule.limit and not (throttle.locked_until
                                                 and throttle.locked_until > now):
            throttle.locked_until = now + datetime.timedelta(seconds=rule.window)
        throttle.save()
    return throttle


def failed(organization, username: str, ip: str | None) -> None:
    every = rules()
    for scope, spec in _counters(organization, username, ip).items():
        if spec["ip"] is None and scope != "user":
            continue  # no address known: only the username-wide counter applies
        _count(spec, every[scope])


def succeeded(user, ip: str | None) -> None:
    """After a correct password: clear the username+address counter, remember the address,
    and refuse (TooManyLogins) a user who logs in far more often than an integration needs."""
    organization = user.organization
    LoginThrottle.objects.filter(key=_key(organization, "user-address", user.username,
                                          counted_address(ip))["key"]).delete()
    if ip:
        KnownLoginAddress.objects.update_or_create(user=user, ip=ip,
                                                   defaults={"last_success": timezone.now()})
    rule = rules()["success"]
    throttle = _count(_key(organization, "success", user.username), rule)
    if throttle.count > rule.limit:
        raise TooManyLogins(_seconds_left(throttle.locked_until))


def reset(organization, username: str) -> int:
    """Clear every counter of a username (and, with it, its lockouts). Returns how many."""
    deleted, _ = LoginThrottle.objects.filter(
        organization=organization, username=username).delete()
    return deleted


def current_lockouts(organization):
    return LoginThrottle.objects.filter(organization=organization,
                                        locked_until__gt=timezone.now()).exclude(
        Q(scope="success"))


def in_allowed_networks(user, ip: str | None) -> bool:
    networks = getattr(user, "allowed_networks", None) or []
    if not networks:
        return True
    if not ip:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


# Password hashes are memory- and CPU-hungry on purpose: a bounded number per worker
# process at a time, so a login flood cannot take the memory or the CPU of everything else.
_hash_slots = threading.BoundedSemaphore(max(1, int(getattr(settings, "LOGIN_HASH_SLOTS", 2))))


class hash_slot:  # noqa: N801  (a context manager used like a function)
    def __enter__(self):
        if not _hash_slots.acquire(timeout=settings.LOGIN_HASH_WAIT):
            raise LoginBusy(1)
        return self

    def __exit__(self, *exc):
        _hash_slots.release()
        return False

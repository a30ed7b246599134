"""Authenticate by (organisation of the request host, username, password)."""

from __future__ import annotations

import functools

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.hashers import check_password, make_password

from omgeving.api.client import client_ip
from omgeving.tenancy.context import current_organization

from . import lockout
from .models import User


@functools.cache
def _dummy_hash() -> str:
    return make_password("omgeving-timing-equaliser")


def _dummy_check(password: str) -> None:
    """Verifying a hash for an unknown username makes its answer take as long as a known one."""
    check_password(password, _dummy_hash())


def _lookup(organization, username: str) -> User | None:
    return (
        User.objects.for_organization(organization)
        .select_related("organization")
        .filter(username=username)
        .first()
    )


def _password_ok(user: User | None, password: str) -> bool:
    """The password check, with the same work for unknown users; at most LOGIN_HASH_SLOTS at a
    time per process (lockout.hash_slot). A correct password under outdated hash parameters
    is re-hashed with the current ones (Django's check_password setter)."""
    with lockout.hash_slot():
        if user is None or not user.has_usable_password():
            _dummy_check(password)
            return False
        return user.check_password(password)


class OrganizationBackend(BaseBackend):
    """Users of the request host's organisation (on the bare base domain: platform users).

    `purpose="admin"` (the default, as Django's login forms call it) accepts active
    administrators and platform superusers; `purpose="api"` accepts active Application users
    only. Every refusal does the same work and looks the same to the caller. Throttling
    (omgeving.accounts.lockout) is checked before the password hash and counted after it;
    its refusals propagate as LoginRefused, which the token views and the admin middleware
    answer with 429 (or 503) and Retry-After."""

    def authenticate(self, request, username=None, password=None, purpose="admin", **kwargs):
        if request is None or username is None or password is None:
            return None
        organization = getattr(request, "organization", None)
        ip = client_ip(request) or None
        user = _lookup(organization, username)
        if purpose == "api" and user is not None and user.is_application \
                and not lockout.in_allowed_networks(user, ip):
            _dummy_check(password)  # the same answer and work as a wrong password…
            return None  # …but never counted: outsiders cannot lock the application
        lockout.check(organization, username, ip, user)
        ok = _password_ok(user, password)
        allowed = ok and user.is_active and (
            user.is_application if purpose == "api" else user.is_staff)
        if not allowed:
            lockout.failed(organization, username, ip)
            return None
        if purpose == "api":  # the admin's sign-in succeeds after the second factor only
            lockout.succeeded(user, ip)  # (accounts.admin_site.LoginForm)
        return user

    def get_user(self, user_id):
        return (
            User.objects.for_organization(current_organization())
            .filter(pk=user_id, is_active=True)
            .first()
        )

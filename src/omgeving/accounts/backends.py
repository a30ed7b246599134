"""Authenticate by (organisation of the request host, username, password)."""

from __future__ import annotations

import functools

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.hashers import check_password, make_password

from omgeving.tenancy.context import current_organization

from .models import User


@functools.cache
def _dummy_hash() -> str:
    return make_password("omgeving-timing-equaliser")


def _dummy_check(password: str) -> None:
    """Verifying a hash for an unknown username makes its answer take as long as a known one."""
    check_password(password, _dummy_hash())


def authenticate_in_organization(organization, username: str, password: str) -> User | None:
    """The user if the password is right, else None; equal work for unknown usernames."""
    user = (
        User.objects.for_organization(organization)
        .select_related("organization")
        .filter(username=username)
        .first()
    )
    if user is None or not user.has_usable_password():
        _dummy_check(password)
        return None
    if not user.check_password(password):
        return None
    return user


class OrganizationBackend(BaseBackend):
    """Users of the request host's organisation (on the bare base domain: platform users).

    `purpose="admin"` (the default, as Django's login forms call it) accepts active
    administrators and platform superusers; `purpose="api"` accepts active Application users
    only. Every refusal does the same work and looks the same to the caller; Django then sends
    `user_login_failed`, which the brute-force defence (django-axes) counts."""

    def authenticate(self, request, username=None, password=None, purpose="admin", **kwargs):
        if request is None or username is None or password is None:
            return None
        user = authenticate_in_organization(
            getattr(request, "organization", None), username, password
        )
        if user is None or not user.is_active:
            return None
        allowed = user.is_application if purpose == "api" else user.is_staff
        return user if allowed else None

    def get_user(self, user_id):
        return (
            User.objects.for_organization(current_organization())
            .filter(pk=user_id, is_active=True)
            .first()
        )

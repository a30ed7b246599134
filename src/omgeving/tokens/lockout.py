"""Brute-force defence with django-axes, for token-auth, token-refresh by password and the
admin login.

- A failure counts against the organisation-qualified username (`<org>/<username>`, so the
  same username in two organisations is two counters) and against the client address.
  After AXES_FAILURE_LIMIT failures of either, further attempts are refused for
  AXES_COOLOFF_TIME: 429 with `Retry-After`, problem+json on the API.
- Unknown usernames are counted and locked exactly like known ones, so neither the answer nor
  the lockout tells whether a username exists.
- The client address is REMOTE_ADDR, unless OMGEVING_TRUSTED_PROXIES (a count) says that
  many reverse proxies in front of us append to X-Forwarded-For; then it is the address the
  outermost trusted proxy saw. X-Forwarded-For is never trusted beyond that count.
"""

from __future__ import annotations

import ipaddress

from axes.helpers import get_cool_off
from axes.utils import reset
from django.conf import settings
from django.http import HttpResponse

from omgeving.api.problems import problem_response


def _organization_key(request) -> str:
    organization = getattr(request, "organization", None)
    return organization.slug if organization else "platform"


def qualified_username(request, credentials) -> str | None:
    """AXES_USERNAME_CALLABLE: usernames are unique per organisation, so count them so."""
    username = (credentials or {}).get("username")
    if username is None:
        username = getattr(request, "POST", {}).get("username")
    if username is None:
        return None
    return f"{_organization_key(request)}/{username}"


def client_ip(request) -> str:
    """AXES_CLIENT_IP_CALLABLE: REMOTE_ADDR, or the address seen by the outermost of
    OMGEVING_TRUSTED_PROXIES proxies."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if h.strip()]
    if len(hops) < proxies:
        return remote  # fewer hops than proxies: the header was not written by our proxies
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def clear_failures(request, username: str) -> None:
    """After a successful login, earlier failures of this username no longer count."""
    reset(username=qualified_username(request, {"username": username}))


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After, the same for every username."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 3600
    detail = (f"Too many failed login attempts. Try again in {seconds} seconds.")
    if request.path_info.startswith("/api/"):
        response = problem_response(429, code="too_many_attempts", detail=detail)
    else:
        response = HttpResponse(detail, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response

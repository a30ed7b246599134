"""Brute-force defence with django-axes, for token-auth, token-refresh by password and the
admin login.

- A failure counts against the organisation-qualified username (`<org>/<username>`, so the
  same username in two organisations is two counters) and against the client address.
  After AXES_FAILURE_LIMIT failures of either, further attempts are refused for
  AXES_COOLOFF_TIME: 429 with `Retry-After`, problem+json on the API.
- Unknown usernames are counted and locked exactly like known ones, so neither the answer nor
  the lockout tells whether a username exists.
- The client address comes from omgeving.api.client.client_ip (trusted proxies only).
"""

from __future__ import annotations

from axes.helpers import get_cool_off
from axes.utils import reset
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

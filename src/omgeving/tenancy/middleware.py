"""Resolve the organisation from the Host header; fail closed on /api/."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponseNotFound
from django.utils.translation import gettext as _

from omgeving.api.problems import problem_response
from omgeving.errors import CODES, OrganizationNotFound

from .context import request_context
from .services import confirm, organization_for_host


class OrganizationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            host = request.get_host()
        except DisallowedHost:
            if not request.path_info.startswith("/api/"):
                raise
            return problem_response(400, code="invalid_host", detail=str(CODES["invalid_host"][1]))
        # An API call with a token may start from the process's copy of the organisation:
        # the token check confirms it in the query that loads the token's user.
        organization = organization_for_host(
            host, settings.BASE_DOMAIN, provisional=request.path_info.startswith("/api/")
            and "HTTP_AUTHORIZATION" in request.META)
        request.organization = organization
        bare = host.split(":", 1)[0].lower().rstrip(".") == settings.BASE_DOMAIN
        if organization is None and not bare and not request.path_info.startswith("/api/"):
            # The platform (its admin) answers at the bare base domain only; an unknown or
            # inactive organisation's host serves nothing at all.
            return HttpResponseNotFound("No organisation is served at this host.",
                                        content_type="text/plain; charset=utf-8")
        if organization is None and request.path_info.startswith("/api/"):
            # The API exists only on an organisation's host: never an unscoped answer.
            return _not_found()
        if request.path_info.startswith("/api/") and not request.path_info.endswith("/"):
            # Never a redirect under /api/: a client following a 301 turns a POST into a GET
            # and reads instead of writing. A 404 that names the right path, for every method.
            return problem_response(404, code="slash_missing", detail=_(
                "Every path under /api/ ends in a slash: %(path)s") % {
                    "path": request.path_info + "/"})
        with request_context(organization):
            response = self.get_response(request)
        if getattr(request.organization, "provisional", False) and confirm(organization) is None:
            # Not confirmed by a token check (a path without one): confirmed now, and an
            # organisation deactivated meanwhile answers nothing.
            return _not_found()
        return response


def _not_found():
    return problem_response(404, code=OrganizationNotFound.code,
                            detail=OrganizationNotFound.message)

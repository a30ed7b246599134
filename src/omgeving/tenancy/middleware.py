"""Resolve the organisation from the Host header; fail closed on /api/."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponseNotFound

from omgeving.api.problems import problem_response

from .context import request_context
from .services import organization_for_host


class OrganizationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            host = request.get_host()
        except DisallowedHost:
            if not request.path_info.startswith("/api/"):
                raise
            return problem_response(
                400,
                code="invalid_host",
                detail="This host is not served here.",
            )
        organization = organization_for_host(host, settings.BASE_DOMAIN)
        request.organization = organization
        bare = host.split(":", 1)[0].lower().rstrip(".") == settings.BASE_DOMAIN
        if organization is None and not bare and not request.path_info.startswith("/api/"):
            # The platform (its admin) answers at the bare base domain only; an unknown or
            # inactive organisation's host serves nothing at all.
            return HttpResponseNotFound("No organisation is served at this host.",
                                        content_type="text/plain; charset=utf-8")
        if organization is None and request.path_info.startswith("/api/"):
            # The API exists only on an organisation's host: never an unscoped answer.
            return problem_response(
                404,
                code="organization_not_found",
                detail="No active organisation is served at this host.",
            )
        with request_context(organization):
            return self.get_response(request)

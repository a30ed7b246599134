"""One style for every timestamp a machine reads (API answers, webhook payloads, the access
log's export): RFC 3339 in UTC with `Z`, e.g. `2026-12-07T19:30:00.123456Z`. People read local
time in the admin (Europe/Amsterdam)."""

from __future__ import annotations

import datetime


def rfc3339(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


class UTCMiddleware:
    """Under /api/ the current time zone is UTC, so every DateTimeField of Django REST
    framework answers with `Z` (it writes `+00:00` as `Z`), lists and objects alike."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        from django.utils import timezone

        with timezone.override(datetime.UTC):
            return self.get_response(request)

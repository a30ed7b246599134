"""`/healthz` (the process answers) and `/readyz` (and reaches its database), for load
balancers and orchestrators. Answered before the host check and outside any organisation: a
probe calls the server by its address, and learns nothing about any organisation."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import JsonResponse

PATHS = ("/healthz", "/readyz")
log = logging.getLogger(__name__)


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path not in PATHS or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if path == "/healthz":
            return _answer(200, {"status": "ok"})
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception:  # any failure to reach the database means: not ready
            log.warning("readiness: the database is unreachable", exc_info=True)
            return _answer(503, {"status": "unavailable", "database": "unreachable"})
        return _answer(200, {"status": "ok", "database": "ok"})


def _answer(status: int, body: dict) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response

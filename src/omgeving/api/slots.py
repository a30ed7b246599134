"""Bounded work per application, so that one integrator's heavy requests cannot stop the
others (issue 20: four threads looping bulk writes in one organisation made another's reads
fail on SQLite, where one write transaction runs at a time).

- At most OMGEVING_BULK_CONCURRENCY (2) bulk requests of one Application user run at once
  in one server process; another answers **429** `too_many_bulk_requests` with
  `Retry-After`, at once, before it waits for the database.
- A database that stays locked longer than its timeout (SQLite: 20 s) answers **503**
  `database_busy` with `Retry-After`, never a 500 (`DatabaseBusyMiddleware`).
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import APIException

from .problems import problem_response

RETRY_AFTER = 2  # seconds

_lock = threading.Lock()
_running: Counter = Counter()


class TooManyBulkRequests(APIException):
    status_code = 429
    default_code = "too_many_bulk_requests"
    default_detail = gettext_lazy("This application already runs as many bulk requests as it "
                                  "may at once; Retry-After.")
    wait = RETRY_AFTER


@contextmanager
def bulk_slot(actor_id):
    with _lock:
        if _running[actor_id] >= settings.BULK_CONCURRENCY:
            raise TooManyBulkRequests
        _running[actor_id] += 1
    try:
        yield
    finally:
        with _lock:
            _running[actor_id] -= 1
            if _running[actor_id] <= 0:
                del _running[actor_id]


class DatabaseBusyMiddleware:
    """An API request whose database stayed locked: 503 with Retry-After, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not (request.path_info.startswith("/api/") and _locked(exception)):
            return None
        response = problem_response(503, code="database_busy", detail=_(
            "The database is busy with other writes; try again shortly."))
        response["Retry-After"] = str(RETRY_AFTER)
        return response


def _locked(exception) -> bool:
    """SQLite's "database is locked", PostgreSQL's "canceling statement due to lock timeout"."""
    text = str(exception).lower()
    return isinstance(exception, OperationalError) and ("locked" in text
                                                        or "lock timeout" in text)

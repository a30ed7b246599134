"""Logging: one request id per request, on every log line and in the access log; one line per
request; JSON lines as an option (OMGEVING_LOG_FORMAT=json).

The request id is a UUID. A caller (or a reverse proxy: nginx's `$request_id` is 32 hex
digits) may send one in `X-Request-Id`; anything that is not a UUID is replaced by a fresh one
rather than written into the logs. Every answer carries the id in `X-Request-Id`.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import time
import uuid

HEADER = "X-Request-Id"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
request_log = logging.getLogger("omgeving.request")


def request_id_from(value: str | None) -> uuid.UUID:
    """The caller's id when it is a UUID (with or without hyphens), else a fresh one."""
    if value and len(value) <= 36:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    return uuid.uuid4()


class RequestIdMiddleware:
    """First in the stack: gives the request its id (`request.id`), puts it on every log line
    written while the request runs, echoes it, and writes one line when the answer leaves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        token = _current.set(str(request.id))
        try:
            response = self.get_response(request)
            response[HEADER] = str(request.id)
            if request_log.isEnabledFor(logging.INFO):
                organization = getattr(request, "organization", None)
                duration = round((time.perf_counter() - started) * 1000, 1)
                request_log.info(
                    "%s %s %s %.1fms", request.method, request.path, response.status_code,
                    duration, extra={
                        "method": request.method, "path": request.path,
                        "status": response.status_code, "duration_ms": duration,
                        "organization": getattr(organization, "slug", None)})
            return response
        finally:
            _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


class OneLineSecurityRecords(logging.Filter):
    """A refused Host or another suspicious request is one line, not a traceback: anyone can
    send them, and 40 lines each would let them flood the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security"):
            record.exc_info = None
            record.exc_text = None
        return True


_EXTRA = ("method", "path", "status", "duration_ms", "organization")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    the request line's fields, and the traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({k: getattr(record, k) for k in _EXTRA if hasattr(record, k)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)

"""Limits on what a request may carry, enforced before anything reads it.

| what | limit | answer |
|---|---|---|
| body of any API request | OMGEVING_MAX_BODY bytes (1 MiB) | 413 `body_too_large` |
| body of the token endpoints | 8 KiB (credentials or a token) | 413 `body_too_large` |
| body of a document upload (/api/documents/) | the file limit + 1 MiB | 413 `body_too_large` |
| a document's file | OMGEVING_DOCUMENT_MAX_BYTES (20 MiB) | 413 `file_too_large` (care/files.py) |
| chunked body the server did not de-chunk | - | 411 `length_required` |
| query parameters | DATA_UPLOAD_MAX_NUMBER_FIELDS (1000) | 400 `too_many_parameters` |
| JSON nesting | 32 levels | 400 `nesting_too_deep` (api/parsers.py) |
| JSON strings that are not Unicode text (lone surrogates) | - | 400 `invalid_unicode` |

The embedded server (omgeving/serving.py) applies the body limit again while it buffers, so
a body that claims no length cannot grow past it either.
"""

from __future__ import annotations

import os

from django.utils.translation import gettext as _

from .problems import problem_response

TOKEN_PATHS = ("/api/token-auth/", "/api/token-refresh/", "/api/token-verify/",
               "/api/api-token-auth/", "/api/api-token-refresh/")
TOKEN_MAX_BODY = 8 * 1024


def max_body_bytes() -> int:
    """Read from the environment directly: the server imports this before Django starts."""
    value = os.environ.get("OMGEVING_MAX_BODY", "")
    return int(value) if value.isdigit() else 1024 * 1024


def document_max_bytes() -> int:
    value = os.environ.get("OMGEVING_DOCUMENT_MAX_BYTES", "")
    return int(value) if value.isdigit() else 20 * 1024 * 1024


UPLOAD_PATHS = ("/api/documents/",)


def body_limit(path: str, default: int) -> int:
    """The most bytes a request to `path` may carry."""
    if path in TOKEN_PATHS:
        return TOKEN_MAX_BODY
    if path in UPLOAD_PATHS:
        return max(default, document_max_bytes() + 1024 * 1024)
    return default


class RequestLimitsMiddleware:
    """First in the stack: refuses oversized or unbounded API requests unread."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.max_body = settings.MAX_BODY
        self.max_fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            refusal = self.refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def refusal(self, request):
        meta = request.META
        if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
            return problem_response(411, code="length_required",
                                    detail=_("Send the body with a Content-Length."))
        limit = body_limit(request.path_info, self.max_body)
        length = meta.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            return problem_response(400, code="invalid_content_length",
                                    detail=_("Content-Length is not a number."))
        if int(length) > limit:
            return problem_response(413, code="body_too_large",
                                    detail=_("The request body exceeds %(limit)s bytes.")
                                    % {"limit": limit})
        query = meta.get("QUERY_STRING", "")
        if query.count("&") + query.count(";") >= self.max_fields:
            return problem_response(400, code="too_many_parameters",
                                    detail=_("More than %(limit)s query parameters.")
                                    % {"limit": self.max_fields})
        return None

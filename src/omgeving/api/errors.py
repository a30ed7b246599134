"""Exception handling: every API error becomes an RFC 9457 problem document (problems.py)."""

from __future__ import annotations

import logging

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from omgeving.errors import (
    CODES,
    ConflictError,
    FeatureDisabled,
    FileRefused,
    Gone,
    LoginRefused,
    NotAllowedError,
    OrganizationNotFound,
    PreconditionFailed,
    TokenError,
)

from .problems import PROBLEM_CONTENT_TYPE, WWW_AUTHENTICATE, problem, problem_response

logger = logging.getLogger("omgeving.api")


def _flatten(detail, path: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of {field, code, detail}."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            field = "" if key == "non_field_errors" else str(key)
            out += _flatten(value, f"{path}.{field}" if path and field else (path or field))
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                out += _flatten(value, f"{path}.{index}" if path else str(index))
            else:
                out += _flatten(value, path)
        return out
    return [{"field": path or None, "code": getattr(detail, "code", "invalid"),
             "detail": str(detail)}]


def _django_validation_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        detail = {
            field: [exceptions.ErrorDetail(m, code=e.code or "invalid")
                    for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    else:
        detail = [exceptions.ErrorDetail(m, code=e.code or "invalid")
                  for e in exc.error_list for m in e.messages]
    return exceptions.ValidationError(detail)


def exception_handler(exc, context):
    if isinstance(exc, ConflictError):
        status_code = status.HTTP_409_CONFLICT
        exc = _django_validation_to_drf(exc)
    elif isinstance(exc, TokenError):
        exc = exceptions.AuthenticationFailed(str(exc), code=exc.code)
        status_code = 401
    elif isinstance(exc, LoginRefused):
        refused = exc
        exc = exceptions.APIException(str(refused), code=refused.code)
        exc.status_code = status_code = refused.status
        exc.wait = refused.retry_after
    elif isinstance(exc, PreconditionFailed):
        exc = exceptions.APIException(
            _("The object changed since the version in If-Match; read it again."),
            code=PreconditionFailed.code)
        exc.status_code = status_code = 412
    elif isinstance(exc, Gone):
        gone = exc
        exc = exceptions.APIException(str(gone), code=gone.code)
        exc.status_code = status_code = 410
    elif isinstance(exc, FileRefused):
        refused = exc
        exc = exceptions.APIException(str(refused), code=refused.code)
        exc.status_code = status_code = refused.status
    elif isinstance(exc, NotAllowedError):
        exc = exceptions.PermissionDenied(str(exc), code=exc.code)
        status_code = 403
    elif isinstance(exc, DjangoValidationError):
        status_code = status.HTTP_400_BAD_REQUEST
        exc = _django_validation_to_drf(exc)
    elif isinstance(exc, IntegrityError):
        # A backstop: the services check uniqueness first; a race or a missed rule lands
        # here and is a conflict, not a server error.
        logger.warning("Integrity error answered as 409: %s", exc)
        status_code = status.HTTP_409_CONFLICT
        exc = exceptions.ValidationError(
            [exceptions.ErrorDetail(_("The request conflicts with existing data."),
                                    code="conflict")])
    elif isinstance(exc, DataError):
        # A backstop for input the database refuses but validation let through.
        logger.warning("Database refused a value, answered as 400: %s", exc)
        status_code = status.HTTP_400_BAD_REQUEST
        exc = exceptions.ValidationError(
            [exceptions.ErrorDetail(_("A value is out of the range the database accepts."),
                                    code="invalid")])
    elif isinstance(exc, FeatureDisabled):
        exc = exceptions.NotFound(str(exc), code="feature_disabled")
        status_code = 404
    elif isinstance(exc, OrganizationNotFound):
        exc = exceptions.NotFound(str(exc), code=exc.code)
        status_code = 404
    elif isinstance(exc, RequestDataTooBig):
        exc = exceptions.APIException(_("The request body is too large."), code="body_too_large")
        exc.status_code = status_code = 413
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ValidationError(
            [exceptions.ErrorDetail(_("Too many parameters or form fields."),
                                    code="too_many_parameters")])
        status_code = 400
    elif isinstance(exc, SuspiciousOperation):
        logger.warning("Suspicious request answered as 400: %s", exc)
        exc = exceptions.ValidationError(
            [exceptions.ErrorDetail(_("The request was refused."), code="bad_request")])
        status_code = 400
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
        status_code = 404
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
        status_code = 403
    elif isinstance(exc, exceptions.APIException):
        status_code = exc.status_code
    else:
        request = context.get("request")
        logger.exception("Unhandled error on %s", getattr(request, "path", "?"))
        set_rollback()
        return Response(
            problem(500, code="server_error",
                    detail=_("An unexpected error occurred. It has been logged.")),
            status=500, content_type=PROBLEM_CONTENT_TYPE,
        )

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        codes = {e["code"] for e in errors}
        code = codes.pop() if len(codes) == 1 else "invalid"
        if status_code == 409 and code == "invalid":
            code = "conflict"
        detail = errors[0]["detail"] if len(errors) == 1 else _("The request has invalid fields.")
        body = problem(status_code, code=code, detail=detail, errors=errors)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        detail = str(exc.detail)
        if code in CODES and detail == str(getattr(type(exc), "default_detail", None)):
            # Django REST framework's own words ("Authentication credentials were not
            # provided.") say less than ours ("send `Authorization: JWT <token>`").
            detail = str(CODES[code][1])
        body = problem(status_code, code=code, detail=detail)
    if status_code == 401:
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    set_rollback()
    return Response(body, status=status_code, headers=headers,
                    content_type=PROBLEM_CONTENT_TYPE)


def handler404(request, exception=None):
    if request.path_info.startswith("/api/"):
        return problem_response(404, code="not_found", detail=_("No resource at this address."))
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler400(request, exception=None):
    if request.path_info.startswith("/api/"):
        return problem_response(400, code="bad_request", detail=_("The request was refused."))
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler500(request):
    if request.path_info.startswith("/api/"):
        return problem_response(500, code="server_error",
                                detail=_("An unexpected error occurred. It has been logged."))
    from django.views.defaults import server_error

    return server_error(request)

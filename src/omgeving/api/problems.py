"""RFC 9457 problem+json for every error the API gives.

    {"type": "urn:omgeving:problem:<code>", "title": "<the code's text>", "status": <int>,
     "detail": "<this occurrence>", "code": "<machine code>",
     "errors": [{"field": "<name or path>", "code": "<code>", "detail": "<text>"}]}

`title` is the text registered for the code in `omgeving.errors.CODES`, in the request's
language (RFC 9457: the same for every occurrence of a problem type, except for
localisation); `detail` says what happened this time. A field code that is not registered
(`max_length`, …) takes the title of `invalid`.

`errors` is present for validation errors (400, 409). The top-level `code` is the code the
errors share (the code of the only error when there is one), else `invalid` (`conflict` on 409).
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import JsonResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"
WWW_AUTHENTICATE = 'JWT realm="api"'


def title_of(code: str, status_code: int) -> str:
    from omgeving.errors import CODES

    if code in CODES:
        return str(CODES[code][1])
    if status_code == 400:
        return str(CODES["invalid"][1])
    return HTTPStatus(status_code).phrase


def problem(status_code: int, *, code: str, detail: str, title: str | None = None,
            errors: list[dict] | None = None) -> dict:
    body = {
        "type": f"urn:omgeving:problem:{code}",
        "title": title or title_of(code, status_code),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(status_code: int, *, code: str, detail: str, title: str | None = None,
                     errors: list[dict] | None = None) -> JsonResponse:
    """A problem+json answer outside DRF (middleware, URL resolver, 500 handler)."""
    body = problem(status_code, code=code, detail=detail, title=title, errors=errors)
    response = JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)
    if status_code == 401:
        response["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response

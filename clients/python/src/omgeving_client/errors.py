"""Every refusal of the API as an exception that carries its problem+json: `status`, `code`
(the stable, documented one — branch on it), `detail` (for people) and field `errors`."""

from __future__ import annotations

from typing import Any


class OmgevingError(Exception):
    """An answer of 400 or above (after the client's own retries)."""

    def __init__(self, status: int, code: str, detail: str = "", *,
                 errors: list[dict[str, Any]] | None = None,
                 problem: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        super().__init__(f"{status} {code}: {detail}" if detail else f"{status} {code}")
        self.status, self.code, self.detail = status, code, detail
        self.errors = errors or []
        self.problem = problem or {}
        self.headers = headers or {}


class BadRequest(OmgevingError):
    """400: the body, a field or one of the rules (see `errors`)."""


class Unauthorized(OmgevingError):
    """401 that a new token did not cure (wrong credentials, a deactivated application)."""


class Forbidden(OmgevingError):
    """403: e.g. `missing_grant`."""


class NotFound(OmgevingError):
    """404: no such object in this organisation (or a feature switched off)."""


class Conflict(OmgevingError):
    """409: e.g. `duplicate_relation`, `external_id_taken`."""


class Gone(OmgevingError):
    """410: `deleted` (remove your copy) or `cursor_expired` (resynchronise)."""


class PreconditionFailed(OmgevingError):
    """412: the object changed since you read it (If-Match)."""


class RateLimited(OmgevingError):
    """429 after the client's retries."""


class ServerError(OmgevingError):
    """5xx after the client's retries."""


class CredentialsRefused(Unauthorized):
    """The username and password were refused (400 `invalid_credentials` at the token
    endpoint)."""


_BY_STATUS = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound,
              409: Conflict, 410: Gone, 412: PreconditionFailed, 429: RateLimited}


def from_response(status: int, body: Any, headers: dict[str, str]) -> OmgevingError:
    problem = body if isinstance(body, dict) else {}
    code = str(problem.get("code") or ("server_error" if status >= 500 else "error"))
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else OmgevingError)
    return cls(status, code, str(problem.get("detail") or ""), errors=problem.get("errors"),
               problem=problem, headers=headers)

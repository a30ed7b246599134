"""The domain's error vocabulary: what a rule says when it refuses, with a machine code.

Services raise these; `omgeving.api.errors` maps each to its HTTP status and problem+json
once, and the admin shows them on its forms. No view translates a service error by hand.

| error | HTTP | when |
|---|---|---|
| `rule_error(field, message, code)` (a Django ValidationError) | 400 | a value breaks a rule |
| `ConflictError` (a ValidationError) | 409 | the change conflicts with existing data |
| `NotAllowedError` | 403 | the caller may not do this (its grants, the role it may give) |
| `Gone` | 410 | it existed and is gone (an expired feed cursor) |
| `PreconditionFailed` | 412 | `If-Match` is not the object's current ETag |
| `FeatureDisabled` | 404 `feature_disabled` | the organisation has the feature switched off |
| `TokenError` | 401 | a token that cannot be accepted |
| `OrganizationNotFound` | 404 `organization_not_found` | no active organisation at this host |
| `LoginRefused` (`accounts.lockout`) | 429 / 503 | login throttling; `Retry-After` |
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class ConflictError(ValidationError):
    """The request conflicts with existing data (a taken name, an overlapping period, an
    object still in use)."""


class NotAllowedError(PermissionError):
    """The caller may not do this; `code` says why (e.g. `missing_grant`)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class FeatureDisabled(Exception):
    def __init__(self, feature: str):
        super().__init__(f"The feature '{feature}' is not switched on for this organisation.")
        self.feature = feature


def rule_error(field: str | None, message: str, code: str, *, conflict: bool = False):
    """A rule's refusal, on a field (or the whole object when `field` is None)."""
    cls = ConflictError if conflict else ValidationError
    error = ValidationError(message, code=code)
    return cls({field: error}) if field else cls(message, code=code)


class Gone(Exception):
    """What was asked for existed and is gone (410); `code` says what, e.g. `cursor_expired`."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class PreconditionFailed(Exception):
    """`If-Match` names another version than the current one (412): someone changed the
    object since the caller read it."""

    code = "precondition_failed"


class OrganizationNotFound(Exception):
    """No active organisation is served at the request's host (found out after the
    middleware, when a provisional organisation could not be confirmed)."""

    code = "organization_not_found"
    message = "No active organisation is served at this host."

    def __init__(self):
        super().__init__(self.message)


class TokenError(Exception):
    """A token that cannot be accepted (401); `code` names the reason."""

    messages = {
        "token_invalid": "The token is malformed or its signature is invalid.",
        "token_expired": "The token has expired; obtain or refresh a token.",
        "token_wrong_organization": "The token was issued for another organisation.",
        "token_revoked": "The token was revoked: the user was deactivated, changed "
        "password or is no longer an Application user.",
        "refresh_expired": "The token can no longer be refreshed with a token; "
        "log in again with username and password.",
    }

    def __init__(self, code: str):
        self.code = code
        super().__init__(self.messages[code])


class LoginRefused(Exception):
    """A login refused by throttling, before or after the password check (429, or 503 when
    too many password checks run at once); `retry_after` in seconds."""

    status = 429
    code = "too_many_attempts"
    message = "Too many failed login attempts. Try again in {seconds} seconds."

    def __init__(self, retry_after: int):
        self.retry_after = max(1, int(retry_after))
        super().__init__(self.message.format(seconds=self.retry_after))

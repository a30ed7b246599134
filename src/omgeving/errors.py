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
| `FileRefused` | 413 / 415 / 400 | a document's file too large, of a type not taken, infected |
| `FeatureDisabled` | 404 `feature_disabled` | the organisation has the feature switched off |
| `TokenError` | 401 | a token that cannot be accepted |
| `OrganizationNotFound` | 404 `organization_not_found` | no active organisation at this host |
| `LoginRefused` (`accounts.lockout`) | 429 / 503 | login throttling; `Retry-After` |
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


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
        super().__init__(_("The feature '%(feature)s' is not switched on for this "
                           "organisation.") % {"feature": feature})
        self.feature = feature


def rule_error(field: str | None, message: str, code: str):
    """A rule's refusal, on a field (or the whole object when `field` is None); a 409 when the
    code's status in CODES is 409 (one status per code)."""
    status = CODES[code][0]  # KeyError: register the code in CODES first
    cls = ConflictError if status == 409 else ValidationError
    error = ValidationError(message, code=code)
    return cls({field: error}) if field else cls(message, code=code)


class Gone(Exception):
    """What was asked for existed and is gone (410); `code` says what, e.g. `cursor_expired`."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class FileRefused(Exception):
    """A document's file that cannot be taken: too large (413), of a type not allowed (415),
    refused by the virus scanner (400); `code` says which, its status is the code's."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code
        self.status = CODES[code][0]


class PreconditionFailed(Exception):
    """`If-Match` names another version than the current one (412): someone changed the
    object since the caller read it."""

    code = "precondition_failed"


class OrganizationNotFound(Exception):
    """No active organisation is served at the request's host (found out after the
    middleware, when a provisional organisation could not be confirmed)."""

    code = "organization_not_found"
    message = _("No active organisation is served at this host.")

    def __init__(self):
        super().__init__(self.message)


class TokenError(Exception):
    """A token that cannot be accepted (401); `code` names the reason."""

    messages = {
        "token_invalid": _("The token is malformed or its signature is invalid."),
        "token_expired": _("The token has expired; obtain or refresh a token."),
        "token_wrong_organization": _("The token was issued for another organisation."),
        "token_revoked": _("The token was revoked: the user was deactivated, changed "
        "password or is no longer an Application user."),
        "refresh_expired": _("The token can no longer be refreshed with a token; "
        "log in again with username and password."),
    }

    def __init__(self, code: str):
        self.code = code
        super().__init__(self.messages[code])


class LoginRefused(Exception):
    """A login refused by throttling, before or after the password check (429, or 503 when
    too many password checks run at once); `retry_after` in seconds."""

    status = 429
    code = "too_many_attempts"
    message = _("Too many failed login attempts. Try again in {seconds} seconds.")

    def __init__(self, retry_after: int):
        self.retry_after = max(1, int(retry_after))
        super().__init__(self.message.format(seconds=self.retry_after))


# --- Every code the API answers with -------------------------------------------------------
# One table: the OpenAPI schema lists each operation's codes under their status from it
# (omgeving/api/schema.py), `rule_error` refuses an unregistered code, and a test compares it
# with every problem the test suite saw (tests/api/test_error_codes.py).
CODES: dict[str, tuple[int, str]] = {
    # 400 — the request itself
    "invalid": (400, _("A value is not valid.")),
    "required": (400, _("A required field is missing.")),
    "unknown_parameter": (400, _("A query parameter this resource does not take.")),
    "invalid_parameter": (400, _("A query parameter's value is not valid.")),
    "too_many_parameters": (400, _("More than 1000 query parameters or form fields.")),
    "parse_error": (400, _("The body is not valid JSON.")),
    "nesting_too_deep": (400, _("JSON nested deeper than 32 levels.")),
    "invalid_unicode": (400, _("A JSON string that is not Unicode text.")),
    "unknown_field": (400, _("A body key that is not a field (a typo is never dropped).")),
    "read_only_field": (400, _("A field that cannot be written.")),
    "not_a_list": (400, _("A bulk request's items are not a list.")),
    "filter_unavailable": (400, _("A filter of a feature this organisation has switched off.")),
    "invalid_length": (400, _("A bulk request carries 1 to 1000 items.")),
    "invalid_cursor": (400, _("A cursor this list or feed did not give.")),
    "invalid_content_length": (400, _("Content-Length is not a number.")),
    "invalid_idempotency_key": (400, _("The Idempotency-Key is empty or longer than 255 "
                                     "characters.")),
    "invalid_host": (400, _("This host is not served here: name the organisation in the Host "
                            "header, <organisation>.<base domain> (e.g. Host: "
                            "demo.localhost:8000).")),
    "bad_request": (400, _("The request was refused.")),
    "external_id_mismatch": (400, _("The body's external_id differs from the one in the path.")),
    "invalid_credentials": (400, _("Unable to log in with the provided credentials.")),
    "ambiguous_credentials": (400, _("Send a username and password, or a token: not both.")),
    # 400 — the rules of people
    "invalid_role": (400, _("An unknown role type.")),
    "role_required": (400, _("A user needs at least one role type.")),
    "application_role_exclusive": (400, _("The Application role type stands alone.")),
    "one_authorisation": (400, _("A person has one default authorisation.")),
    "invalid_username": (400, _("A username of letters, digits and @.+-_ only.")),
    "invalid_phone": (400, _("Not a phone number.")),
    "invalid_bsn": (400, _("Nine digits that pass the eleven-test.")),
    "invalid_network": (400, _("Not an address range (CIDR).")),
    "organization_immutable": (400, _("A person's organisation cannot change.")),
    # 400 — the rules of the care network (omgeving/network/services.py)
    "no_authorisation": (400, _("Every person in a network has a default authorisation "
                              "(rule 1).")),
    "client_to_client": (400, _("A client never relates directly to another client (rule 2).")),
    "not_a_client": (400, _("Direct relations, group clients, care statuses and content are "
                           "for (active) clients.")),
    "not_in_network": (400, _("Not in the care network: Application users and administrators "
                            "never are; a participant is in the client's network on the "
                            "date.")),
    "self_relation": (400, _("A person does not relate to themselves.")),
    "other_organization": (400, _("Everyone involved belongs to this organisation.")),
    "end_before_start": (400, _("The end date is before the start date.")),
    "date_out_of_range": (400, _("Dates lie between 1900-01-01 and 2199-12-31.")),
    "not_a_professional": (400, _("Group members and counselors are professionals (COUNSELOR, "
                                "COUNSELOR_PLUS).")),
    "inactive_person": (400, _("Nobody new relates to a deactivated person.")),
    "exceeds_default_authorisation": (400, _("A relation's authorisation stays within the "
                                           "person's default one.")),
    "status_inactive": (400, _("This care status is no longer in use.")),
    "invitation_token_invalid": (400, _("This invitation link is not valid (or was used).")),
    "invitation_expired": (400, _("This invitation has expired.")),
    "invitation_not_pending": (400, _("This invitation is no longer pending.")),
    # 400 — webhooks (omgeving/webhooks/services.py)
    "url_not_allowed": (400, _("A webhook URL must be https and reach a public address.")),
    "unknown_event": (400, _("An event pattern that names no resource or action of the "
                           "change feed.")),
    "client_immutable": (400, _("Content stays with its client: the client cannot change.")),
    "two_clients": (400, _("Two clients never take part in one thread or appointment.")),
    "not_a_participant": (400, _("A message's author takes part in its thread.")),
    "file_rejected": (400, _("The virus scanner refused the file.")),
    "webhook_inactive": (400, _("The webhook is switched off.")),
    # 401
    "not_authenticated": (401, _("No token: send `Authorization: JWT <token>`.")),
    "token_invalid": (401, TokenError.messages["token_invalid"]),
    "token_expired": (401, TokenError.messages["token_expired"]),
    "token_wrong_organization": (401, TokenError.messages["token_wrong_organization"]),
    "token_revoked": (401, TokenError.messages["token_revoked"]),
    "refresh_expired": (401, TokenError.messages["refresh_expired"]),
    # 403
    "missing_grant": (403, _("The application lacks the grant named in `detail`.")),
    "role_not_assignable": (403, _("Administrators and Application users are made in the admin "
                                 "only.")),
    "user_not_manageable": (403, _("Administrators and Application users are managed in the "
                                 "admin only.")),
    "author_not_permitted": (403, _("The author may not write this for this client: no "
                                    "relation that runs today with an authorisation that "
                                    "includes the category (reports: counselors; diary: the "
                                    "client or a guardian).")),
    "permission_denied": (403, _("This action is not allowed.")),
    # 404
    "not_found": (404, _("No such object in this organisation.")),
    "organization_not_found": (404, OrganizationNotFound.message),
    "feature_disabled": (404, _("The feature is not switched on for this organisation.")),
    "slash_missing": (404, _("Every path under /api/ ends in a slash; `detail` names the "
                             "path meant. No redirect: a client following one would turn a "
                             "write into a read.")),
    # 405-415
    "method_not_allowed": (405, _("This method is not allowed here.")),
    "not_acceptable": (406, _("Only JSON is served.")),
    "incomplete_body": (400, _("The body ended before its length (the client went away).")),
    "request_timeout": (408, _("The request body did not arrive within 30 seconds.")),
    "conflict": (409, _("The change conflicts with existing data.")),
    "idempotency_key_in_use": (409, _("A request with this Idempotency-Key still runs.")),
    "name_taken": (409, _("This name is taken in this organisation.")),
    "username_taken": (409, _("This username is taken in this organisation.")),
    "external_id_taken": (409, _("This external_id is taken in this organisation.")),
    "duplicate_relation": (409, _("This person already relates to this client in an "
                                "overlapping period.")),
    "duplicate_membership": (409, _("This person is already in this group in an overlapping "
                                  "period.")),
    "in_use": (409, _("Still in use: it cannot be deleted.")),
    "too_many_webhooks": (409, _("An application has at most 10 webhooks.")),
    "thread_closed": (409, _("The thread is closed: it takes no new messages.")),
    "network_blocks_change": (409, _("The change would break relations or memberships of the "
                                   "person (each listed under `errors`): end those first.")),
    "deleted": (410, _("The object was deleted: remove your copy.")),
    "cursor_expired": (410, _("Events after this cursor were pruned: resynchronise.")),
    "length_required": (411, _("Send the body with a Content-Length.")),
    "precondition_failed": (412, _("If-Match names another version: the object changed since "
                                 "you read it.")),
    "body_too_large": (413, _("The body is too large (8 KiB for the token endpoints, 1 MiB for "
                            "the rest).")),
    "file_too_large": (413, _("A document's file is at most 20 MiB.")),
    "unsupported_file_type": (415, _("Only PDF, PNG, JPEG and DOCX files, checked by their "
                                     "content.")),
    "unsupported_media_type": (415, _("The body is not in a media type this operation takes: "
                                      "send Content-Type: application/json "
                                      "(multipart/form-data for a document upload).")),
    "idempotency_key_reused": (422, _("This Idempotency-Key was used for another request.")),
    "too_many_attempts": (429, _("Too many failed logins; Retry-After says when to try again.")),
    "too_many_requests": (429, _("More request bodies at once from one address than the "
                                 "server takes; Retry-After.")),
    "too_many_bulk_requests": (429, _("This application already runs as many bulk requests "
                                      "as it may at once; Retry-After.")),
    "too_many_logins": (429, _("Too many successful logins of this user; Retry-After.")),
    "server_error": (500, _("Unexpected server error; no internals are disclosed.")),
    "database_busy": (503, _("The database is busy with other writes; Retry-After.")),
    "login_busy": (503, _("Too many password checks at once; Retry-After.")),
}

# Field validation codes of any body field (Django REST framework's own), documented once.
FIELD_CODES = ("invalid", "required", "null", "blank", "max_length", "min_length",
               "max_value", "min_value", "invalid_choice", "does_not_exist", "incorrect_type",
               "not_a_list", "empty", "max_digits", "max_decimal_places", "date", "datetime",
               "unique")


def raises(*codes: str, also=()):
    """Declare the codes a service (or an API method) can answer with, besides those of the
    functions in `also` it calls. The schema lists them on the operations that call it."""
    unknown = [c for c in codes if c not in CODES]
    if unknown:
        raise ValueError(f"unregistered error code(s) {unknown}: add them to errors.CODES")

    def mark(function):
        function.raises = frozenset(codes).union(*(getattr(f, "raises", ()) for f in also))
        return function

    return mark


def violation(code: str) -> dict:
    """A database constraint's message and code, the same as its rule's (forms and the admin
    show this instead of Django's "Constraint … is violated")."""
    return {"violation_error_code": code, "violation_error_message": CODES[code][1]}

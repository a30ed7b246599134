"""DRF authentication: `Authorization: JWT <token>` (or `Bearer <token>`)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from omgeving.api.problems import WWW_AUTHENTICATE
from omgeving.errors import OrganizationNotFound, TokenError
from omgeving.tenancy.context import confirmed
from omgeving.tenancy.services import confirm

from .services import authenticate_token

PREFIXES = (b"jwt", b"bearer")


def token_failure(error: TokenError) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(str(error), code=error.code)


class JWTAuthentication(BaseAuthentication):
    """The token's user, and with it the request's organisation as the database has it now
    (a provisional one from the middleware is confirmed here, in the user's query; on every
    other way out it is confirmed before a 401 is answered, so a deactivated organisation
    answers 404 as it always did)."""

    def authenticate(self, request):
        try:
            try:
                result = self._authenticate(request)
            except exceptions.AuthenticationFailed:
                if not _confirm(request):
                    raise
                result = self._authenticate(request)  # the host's organisation was another
            if result is None:
                _confirm(request)
                return None
        except OrganizationNotFound as exc:  # as an APIException: DRF then knows no user
            raise exceptions.NotFound(str(exc), code=exc.code) from exc
        _use(request, result[0].organization)
        return result

    def _authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in PREFIXES:
            return None  # → 401 not_authenticated
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header must be 'JWT <token>'."), code="token_invalid"
            )
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise token_failure(TokenError("token_invalid")) from exc
        try:
            user, claims = authenticate_token(token, request.organization)
        except TokenError as exc:
            raise token_failure(exc) from exc
        return user, claims

    def authenticate_header(self, request):
        return WWW_AUTHENTICATE


def _confirm(request) -> bool:
    """Confirm a provisional organisation (OrganizationNotFound if it is gone); True when
    the host now serves another organisation than the provisional one."""
    provisional = request.organization
    fresh = confirm(provisional)
    if fresh is None:
        raise OrganizationNotFound
    _use(request, fresh)
    return fresh.pk != provisional.pk


def _use(request, organization) -> None:
    request.organization = request._request.organization = organization
    confirmed(organization)

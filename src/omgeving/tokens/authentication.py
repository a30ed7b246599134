"""DRF authentication: `Authorization: JWT <token>` (or `Bearer <token>`)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from omgeving.api.problems import WWW_AUTHENTICATE
from omgeving.errors import TokenError

from .services import authenticate_token

PREFIXES = (b"jwt", b"bearer")


def token_failure(error: TokenError) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(str(error), code=error.code)


class JWTAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in PREFIXES:
            return None  # → 401 not_authenticated
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be 'JWT <token>'.", code="token_invalid"
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

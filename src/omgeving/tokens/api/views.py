from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from omgeving.api.parsers import StrictJSONParser
from omgeving.errors import TokenError, raises

from .. import services
from ..authentication import WWW_AUTHENTICATE
from .serializers import (
    CredentialsSerializer,
    RefreshSerializer,
    TokenSerializer,
    VerifiedSerializer,
    VerifySerializer,
)

TOKEN_401 = OpenApiResponse(description="token problem")
LOCKED_429 = OpenApiResponse(description="`too_many_attempts` (failed logins: locked out) or "
                             "`too_many_logins` (successful logins of one user too often); "
                             "`Retry-After` says when to try again")
# The body is documented as JSON only: a form (application/x-www-form-urlencoded or
# multipart/form-data) with the same fields is accepted as well, as by the original API, but
# one body under three media types breaks mainstream client generators (openapi-python-client
# produced token modules that could not be imported).
JSON = "application/json"
TOKEN_CODES = tuple(TokenError.messages)
FORMS_TOO = (" The same fields are accepted as a form (`application/x-www-form-urlencoded` or "
             "`multipart/form-data`), as by the original API.")
BUSY_503 = OpenApiResponse(description="`login_busy`: too many password checks at once; "
                           "`Retry-After`")


class TokenView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # As the original API: credentials as JSON or as a form.
    parser_classes = [StrictJSONParser, FormParser, MultiPartParser]  # bodies ≤ 8 KiB

    @property
    def organization(self):
        return self.request.organization

    def get_authenticate_header(self, request):
        return WWW_AUTHENTICATE  # token problems answer 401, not 403

    def _login(self, username: str, password: str) -> Response:
        try:
            issued = services.obtain_token(self.request, username, password)
        except services.CredentialsError as exc:
            raise exceptions.ValidationError(
                {"non_field_errors": [exceptions.ErrorDetail(str(exc),
                                                             code="invalid_credentials")]}
            ) from exc
        return Response(issued.as_response())


class TokenObtainView(TokenView):
    @extend_schema(
        operation_id="token_auth", summary="Obtain a token",
        request={JSON: CredentialsSerializer},
        responses={200: TokenSerializer, 429: LOCKED_429, 503: BUSY_503},
        description="Only an active Application user of this organisation gets a token. Any "
        "other case answers 400 `invalid_credentials` with the same message." + FORMS_TOO,
    )
    @raises("invalid_credentials", "too_many_attempts", "too_many_logins", "login_busy")
    def post(self, request):
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._login(**serializer.validated_data)


class TokenRefreshView(TokenView):
    @extend_schema(
        operation_id="token_refresh", summary="Refresh a token",
        request={JSON: RefreshSerializer},
        responses={200: TokenSerializer, 401: TOKEN_401, 429: LOCKED_429,
                   503: BUSY_503},
        description="Send the Application user's `username` and `password` (as the JO "
        "documentation says), or a still-valid `token`. Refreshing with a token keeps the "
        "original login time (`orig_iat`) and stops working `JWT_REFRESH_CAP` seconds "
        "(default 3600) after it (401 `refresh_expired`): then log in with username and "
        "password." + FORMS_TOO,
    )
    @raises("invalid_credentials", "ambiguous_credentials", "too_many_attempts",
            "too_many_logins", "login_busy", *TOKEN_CODES)
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "token" not in data:
            return self._login(data["username"], data["password"])
        issued = services.refresh_with_token(self.organization, data["token"])
        return Response(issued.as_response())


class TokenVerifyView(TokenView):
    @extend_schema(
        operation_id="token_verify", summary="Verify a token", request={JSON: VerifySerializer},
        responses={200: VerifiedSerializer, 401: TOKEN_401},
        description="200 with the token's claims when it would be accepted now, else 401 "
        "whose `code` names the reason." + FORMS_TOO,
    )
    @raises(*TOKEN_CODES)
    def post(self, request):
        serializer = VerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = serializer.validated_data["token"]
        _, claims = services.authenticate_token(token, self.organization)
        return Response({"token": token, "claims": claims})

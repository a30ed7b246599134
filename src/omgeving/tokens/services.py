"""JSON Web Tokens for Application users: issue, verify, refresh.

- HS256 only; the key is derived per organisation from SECRET_KEY, and `iss`/`aud` are the
  organisation's host, so a token of organisation A never works at organisation B.
- `exp` = `iat` + JWT_LIFETIME (300 s); clock leeway JWT_LEEWAY (≤ 30 s).
- `ver` must equal the user's token_version: a password change or a deactivation ends every
  token issued before it.
- `orig_iat` is the time of the password login; refreshing with a token cannot go beyond
  `orig_iat` + JWT_REFRESH_CAP. Refreshing with username and password starts afresh.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connections, router

from omgeving.accounts.models import User
from omgeving.errors import CODES, OrganizationNotFound, TokenError
from omgeving.tenancy.models import Organization
from omgeving.tenancy.services import remember

ALGORITHM = "HS256"


class CredentialsError(Exception):
    """Username/password not accepted. One message for every reason: no enumeration."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int

    def as_response(self) -> dict:
        return {"token": self.token, "token_type": "JWT", "expires_in": self.expires_in}


def _key(organization: Organization) -> bytes:
    message = f"omgeving.jwt|{organization.pk}|{organization.slug}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()


def issue_token(user: User, *, orig_iat: int | None = None) -> IssuedToken:
    organization = user.organization
    now = int(time.time())
    lifetime = settings.JWT_LIFETIME
    claims = {
        "user_id": user.pk,
        "username": user.username,
        "org": organization.slug,
        "iss": organization.host,
        "aud": organization.host,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
        "orig_iat": orig_iat if orig_iat is not None else now,
        "ver": user.token_version,
    }
    return IssuedToken(jwt.encode(claims, _key(organization), algorithm=ALGORITHM), lifetime)


def decode_token(token: str, organization: Organization) -> dict:
    """The verified claims of `token` at `organization`, or TokenError. No database query.
    A good token costs one verified decode; only a refused one is looked at again, to say
    why (another organisation's, expired, or invalid)."""
    try:
        claims = jwt.decode(
            token, _key(organization), algorithms=[ALGORITHM],
            audience=organization.host, issuer=organization.host, leeway=settings.JWT_LEEWAY,
            options={"require": ["exp", "iat", "iss", "aud", "user_id", "ver", "orig_iat", "jti"]},
        )
    except jwt.PyJWTError as exc:
        raise _refusal(token, organization, exc) from exc
    if claims.get("org") != organization.slug:
        raise TokenError("token_wrong_organization")
    # Exact integers only (JSON true is a Python int; 1e308 is a float), a lifetime no longer
    # than ours, and a login time no later than the token itself.
    if any(type(claims[c]) is not int for c in ("user_id", "ver", "iat", "exp", "orig_iat")):
        raise TokenError("token_invalid")
    if claims["exp"] - claims["iat"] > settings.JWT_LIFETIME or claims["orig_iat"] > claims["iat"]:
        raise TokenError("token_invalid")
    return claims


def _refusal(token: str, organization: Organization, exc: jwt.PyJWTError) -> TokenError:
    """Why a token was refused: another organisation's (whatever else is wrong with it),
    expired, or invalid."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return TokenError("token_invalid")
    if header.get("alg") != ALGORITHM:
        return TokenError("token_invalid")
    if unverified.get("org") != organization.slug or unverified.get("aud") != organization.host:
        return TokenError("token_wrong_organization")
    if isinstance(exc, jwt.ExpiredSignatureError):
        return TokenError("token_expired")
    return TokenError("token_invalid")


USER_FIELDS = ("id", "username", "organization_id", "is_active", "is_application",
               "is_administrator", "authorisation",  # roles, shown by /api/me/
               "token_version", "grants")


def user_for_claims(claims: dict, organization: Organization) -> User:
    """The Application user the claims speak for, with its organisation as the database has
    it now — one query for both. TokenError if revoked; OrganizationNotFound if the
    organisation is no longer active at this host (a provisional organisation is confirmed
    here: tenancy.services.organization_for_host)."""
    user = _user_with_organization(claims["user_id"], organization)
    if user is None:  # (a provisional organisation is then confirmed by the caller's frame)
        raise TokenError("token_revoked")
    fresh = user.organization
    remember(organization.slug, fresh)
    if not fresh.is_active or fresh.slug != organization.slug:
        raise OrganizationNotFound
    if not user.is_active or not user.is_application or user.token_version != claims["ver"]:
        raise TokenError("token_revoked")
    return user


class _TokenQuery:
    """The token check's one query — the user's USER_FIELDS and all of its organisation's
    columns, joined — written once per database from the models' metadata, each value
    converted by its field as the ORM converts it. Every API call runs it; the ORM would
    compile the same join on every call (~0.5 ms of a ~5 ms list call)."""

    def __init__(self, connection):
        quote = connection.ops.quote_name
        users, orgs = User._meta, Organization._meta
        # in the model's field order, as Model.from_db reads values
        self.user_fields = [f for f in users.concrete_fields if f.name in USER_FIELDS
                            or f.attname in USER_FIELDS]
        self.org_fields = list(orgs.concrete_fields)
        columns = [f"u.{quote(f.column)}" for f in self.user_fields] + \
                  [f"o.{quote(f.column)}" for f in self.org_fields]
        self.sql = (f"SELECT {', '.join(columns)} FROM {quote(users.db_table)} u "
                    f"JOIN {quote(orgs.db_table)} o ON o.{quote(orgs.pk.column)} = "
                    f"u.{quote(users.get_field('organization').column)} "
                    f"WHERE u.{quote(users.pk.column)} = %s AND "
                    f"u.{quote(users.get_field('organization').column)} = %s")
        self.converters = [self._converters(connection, f)
                           for f in (*self.user_fields, *self.org_fields)]

    @staticmethod
    def _converters(connection, field):
        column = field.get_col(field.model._meta.db_table)
        return [*connection.ops.get_db_converters(column),
                *column.get_db_converters(connection)], column

    def run(self, connection, user_id: int, organization_id: int) -> User | None:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [user_id, organization_id])
            row = cursor.fetchone()
        if row is None:
            return None
        values = []
        for value, (converters, column) in zip(row, self.converters, strict=True):
            for converter in converters:
                value = converter(value, column, connection)
            values.append(value)
        split = len(self.user_fields)
        user = User.from_db(connection.alias, [f.attname for f in self.user_fields],
                            values[:split])
        user.organization = Organization.from_db(
            connection.alias, [f.attname for f in self.org_fields], values[split:])
        return user


_token_queries: dict[str, _TokenQuery] = {}


def _user_with_organization(user_id: int, organization: Organization) -> User | None:
    connection = connections[router.db_for_read(User)]
    query = _token_queries.get(connection.alias)
    if query is None:
        query = _token_queries[connection.alias] = _TokenQuery(connection)
    return query.run(connection, user_id, organization.pk)


def authenticate_token(token: str, organization: Organization) -> tuple[User, dict]:
    claims = decode_token(token, organization)
    return user_for_claims(claims, organization), claims


def obtain_token(request, username: str, password: str) -> IssuedToken:
    """A token for an active Application user of the request's organisation, else
    CredentialsError.

    Unknown user, wrong password, inactive, not an Application user, outside its allowed
    address ranges: the same error, and the same work (a password hash is always verified).
    Throttled by omgeving.accounts.lockout (raises LoginRefused)."""
    user = authenticate(request, username=username, password=password, purpose="api")
    if user is None:
        raise CredentialsError(CODES["invalid_credentials"][1])
    return issue_token(user)


def refresh_with_token(organization: Organization, token: str) -> IssuedToken:
    user, claims = authenticate_token(token, organization)
    if int(time.time()) > claims["orig_iat"] + settings.JWT_REFRESH_CAP:
        raise TokenError("refresh_expired")
    return issue_token(user, orig_iat=claims["orig_iat"])

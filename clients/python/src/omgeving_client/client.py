"""The client: one object per organisation and Application user.

    client = Client("https://example.org", "demo", "api", "s3cret")
    for user in client.users.list(role="CLIENT"):
        print(user["username"])

What it takes care of:

- **Tokens.** JO's token lives 5 minutes. The client logs in with username and password on
  the first call, and renews the token when less than a fifth of its life (at most 30 s) is
  left — measured on its own clock from the `expires_in` the server gave — by posting the
  token itself to `/api/token-refresh/`: a password login counts against the server's limit
  of 10 per user per 5 minutes, a renewal does not. Only when the token can no longer be
  renewed (401: refreshing is capped at an hour after the password login, or the token was
  revoked) does it log in with the password again. When the server still answers a call with
  401 `token_expired`, `refresh_expired`, `token_revoked` or `token_invalid` (a clock that
  stood still, a restarted server), it logs in again and sends the request once more. The
  caller never sees a token.
- **Retries.** 429 and 503 (and a connection that failed) are retried with exponential
  backoff and jitter, waiting at least what `Retry-After` says; at most `max_retries` times.
- **Idempotency.** Every POST carries an `Idempotency-Key` (one per call, the same on each
  retry): a POST whose answer was lost is replayed by the server, never done twice.
- **Paging.** `list()` follows the cursor pages to the end, lazily.
- **Errors.** Every problem+json answer becomes an exception with its `code` (errors.py).
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import httpx

from . import errors

RETRY_STATUSES = frozenset({429, 503})
TOKEN_CODES = frozenset({"token_expired", "refresh_expired", "token_revoked", "token_invalid"})


class Record(dict[str, Any]):
    """An object as the API answered it (a dict), with its `etag` when the API gave one."""

    etag: str | None = None


class Client:
    def __init__(self, base_url: str, organization: str | None, username: str, password: str,
                 *, timeout: float = 30.0, max_retries: int = 4, max_wait: float = 60.0,
                 http_client: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time):
        """`base_url`: the platform's address (`https://example.org`); the organisation's
        API is at `https://<organization>.example.org/api/`. Pass `organization=None` when
        `base_url` is the organisation's own address already. A `*.localhost` host is
        reached at 127.0.0.1 (as RFC 6761 says), with the Host header naming it.
        `max_wait`: a 429/503 whose Retry-After asks for longer is raised at once (a login
        limit of several minutes is the caller's to handle, not a silent sleep)."""
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url is an http(s) address, e.g. https://example.org")
        hostname = f"{organization}.{parts.hostname}" if organization else parts.hostname
        port = f":{parts.port}" if parts.port else ""
        self.host = hostname + port
        connect = "127.0.0.1" if hostname.endswith(".localhost") else hostname
        self.base_url = f"{parts.scheme}://{connect}{port}"
        self._headers = {"Host": self.host} if connect != hostname else {}
        self.username, self._password = username, password
        self.max_retries, self.max_wait = max_retries, max_wait
        self._sleep, self._clock = sleep, clock
        self._http = http_client or httpx.Client(timeout=timeout)
        self._token: str | None = None
        self._refresh_at = 0.0
        self._expires_at = 0.0
        self._lock = threading.Lock()
        from .resources import Changes, Documents, Nested, Resource, Webhooks

        self.users = Resource(self, "users")
        self.relations = Resource(self, "relations")
        self.relation_types = Resource(self, "relation-types")
        self.groups = Resource(self, "groups")
        self.group_members = Resource(self, "group-members")
        self.group_clients = Resource(self, "group-clients")
        self.families = Resource(self, "families")
        self.care_statuses = Resource(self, "care-statuses")
        self.invitations = Resource(self, "invitations")
        self.access_log = Resource(self, "access-log")
        # Content around a client (docs/content.md): every write names its `author`.
        self.message_threads = Resource(self, "message-threads")
        self.thread_messages = Nested(self, "message-threads", "messages")
        self.messages = Resource(self, "messages")
        self.appointments = Resource(self, "appointments")
        self.goals = Resource(self, "goals")
        self.goal_progress = Nested(self, "goals", "progress")
        self.reports = Resource(self, "reports")
        self.documents = Documents(self, "documents")
        self.webhooks = Webhooks(self, "webhooks")
        self.changes = Changes(self)

    # --- plumbing ------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path_or_url: str) -> str:
        """An absolute path, or a `next`/`previous` link the API gave (its host may be a
        name this machine cannot resolve: only its path and query are kept)."""
        parts = urlsplit(path_or_url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.base_url + path

    def request(self, method: str, path: str, *, json: Any = None,
                params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None,
                data: Mapping[str, Any] | None = None,
                files: Mapping[str, Any] | None = None) -> httpx.Response:
        """Send one API call with a valid token, retries and (for POST) an Idempotency-Key;
        answers the response of a success, raises errors.OmgevingError otherwise."""
        extra = dict(headers or {})
        if method.upper() == "POST":
            extra.setdefault("Idempotency-Key", str(uuid.uuid4()))
        renewed = False
        attempt = 0
        while True:
            token = self._valid_token()
            try:
                response = self._http.request(
                    method, self.url(path), json=json, params=_params(params),
                    data=data, files=files,
                    headers={**self._headers, **extra, "Authorization": f"JWT {token}"})
            except httpx.TransportError:
                if attempt >= self.max_retries:
                    raise
                attempt += 1
                self._sleep(self._backoff(attempt, None))
                continue
            if response.status_code == 401 and not renewed and \
                    _code(response) in TOKEN_CODES:
                renewed = True
                self._forget_token(token)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                wait = self._backoff(attempt + 1, response)
                if wait <= self.max_wait:
                    attempt += 1
                    self._sleep(wait)
                    continue
            if response.status_code >= 400:
                raise errors.from_response(response.status_code, _body(response),
                                           dict(response.headers))
            return response

    def _backoff(self, attempt: int, response: httpx.Response | None) -> float:
        wait = min(30.0, 0.5 * 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0)  # noqa: S311
        if response is not None:
            wait = max(wait, _retry_after(response.headers.get("Retry-After"),
                                          float(self._clock())))
        return wait

    # --- the token -----------------------------------------------------------------------
    def _valid_token(self) -> str:
        with self._lock:
            if self._token is not None and self._clock() >= self._refresh_at:
                if self._clock() >= self._expires_at or not self._renew():
                    self._token = None  # expired (a renewal would be refused), or refused
            if self._token is None:
                self._obtain("/api/token-auth/")
            assert self._token is not None
            return self._token

    def _forget_token(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    def _renew(self) -> bool:
        """The token to /api/token-refresh/: a new token without a password login. False when
        the server will not renew it (401), so that the caller logs in."""
        response, started = self._token_call("/api/token-refresh/", {"token": self._token})
        if response.status_code == 401:
            return False
        self._take(response, started)
        return True

    def _obtain(self, path: str) -> None:
        """Username and password to the token endpoint."""
        self._take(*self._token_call(path, {"username": self.username,
                                            "password": self._password}))

    def _token_call(self, path: str, body: dict[str, Any]) -> tuple[httpx.Response, float]:
        """POST to a token endpoint, retried on 429/503 like any call; the answer and when
        it was asked (a token's life is measured from then)."""
        for attempt in range(self.max_retries + 1):
            started = self._clock()
            response = self._http.post(self.url(path), json=body, headers=self._headers)
            if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                wait = self._backoff(attempt + 1, response)
                if wait <= self.max_wait:
                    self._sleep(wait)
                    continue
            break
        return response, started

    def _take(self, response: httpx.Response, started: float) -> None:
        if response.status_code != 200:
            error = errors.from_response(response.status_code, _body(response),
                                         dict(response.headers))
            if error.code == "invalid_credentials":
                raise errors.CredentialsRefused(error.status, error.code, error.detail,
                                                problem=error.problem, headers=error.headers)
            raise error
        answer = response.json()
        lifetime = float(answer.get("expires_in") or 300)
        self._token = answer["token"]
        self._refresh_at = started + lifetime - min(30.0, lifetime / 5)
        self._expires_at = started + lifetime

    def timeline(self, viewer: int, **params: Any) -> Iterator[Record]:
        """What `viewer` may see around the clients they relate to, newest first, every
        page (`client=`, `category=`); withheld categories are in `timeline_page()`."""
        query = dict(params)
        while True:
            page = self.timeline_page(viewer, **query)
            yield from (Record(item) for item in page["results"])
            if not page["next"]:
                return
            query["after"] = parse_qs(urlsplit(page["next"]).query)["after"][0]

    def timeline_page(self, viewer: int, **params: Any) -> dict[str, Any]:
        return cast(dict[str, Any], self.get_json(f"/api/users/{viewer}/timeline/", params))

    # --- JSON helpers ----------------------------------------------------------------------
    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params).json()

    def paged(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Record]:
        """Every object of a list, page after page (cursor pages, 100 at a time)."""
        query = {"cursor": "", "page_size": 100, **(params or {})}
        page = self.get_json(path, query)
        while True:
            for item in page["results"]:
                yield Record(item)
            if not page.get("next"):
                return
            page = self.get_json(page["next"])


def _params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    if params is None:
        return None
    return {k: ("true" if v is True else "false" if v is False else str(v))
            for k, v in params.items() if v is not None}


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _code(response: httpx.Response) -> str | None:
    body = _body(response)
    return body.get("code") if isinstance(body, dict) else None


def _retry_after(value: str | None, now: float) -> float:
    """Seconds from a Retry-After header (seconds or an HTTP date); 0 without one."""
    if not value:
        return 0.0
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return 0.0

"""The organisation of the request being served, held in a context variable.

The tenancy middleware opens a *request context* for every request. Inside it, a query on
a tenant-owned model that is not scoped to an organisation raises `UnscopedQueryError`
(fail closed). Outside a request (CLI, migrations, tests that set data up) queries run as
ordinary Django queries.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Organization

_in_request: ContextVar[bool] = ContextVar("omgeving_in_request", default=False)
_organization: ContextVar[Organization | None] = ContextVar("omgeving_organization", default=None)


def in_request() -> bool:
    return _in_request.get()


def current_organization() -> Organization | None:
    return _organization.get()


@contextlib.contextmanager
def request_context(organization: Organization | None):
    t1 = _in_request.set(True)
    t2 = _organization.set(organization)
    try:
        yield
    finally:
        _organization.reset(t2)
        _in_request.reset(t1)


def confirmed(organization: Organization) -> None:
    """The request's organisation as confirmed after the middleware (the token check's
    fresh copy, or another organisation now served at the host): scoping follows it."""
    if _in_request.get():
        _organization.set(organization)

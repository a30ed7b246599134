"""Querysets for tenant-owned models: they refuse to run unscoped inside a request."""

from __future__ import annotations

from django.db import models
from django.db.models import lookups

from .context import current_organization, in_request


@models.BooleanField.register_lookup
class Equals(lookups.Exact):
    """`field__equals=True` is `field = true` in SQL. For `field=True` Django writes the bare
    column (`WHERE "is_active"`), and SQLite then uses no index on (…, is_active, …) for it:
    the users list counted and paged the organisation by its id index, filtering row by row
    (0.64 ms against 0.40 ms for the count of 10,000 people; docs/performance.md)."""

    lookup_name = "equals"

    def as_sql(self, compiler, connection):
        lhs_sql, params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs_sql} = {rhs_sql}", [*params, *rhs_params]


def _refers_to_objects(kwargs) -> bool:
    """Whether a filter names model instances (as related managers and prefetches do)."""
    for value in kwargs.values():
        values = value if isinstance(value, list | tuple | set) else (value,)
        if any(isinstance(v, models.Model) for v in values):
            return True
    return False


class UnscopedQueryError(RuntimeError):
    """A tenant-owned model was queried inside a request without an organisation filter."""


class TenantQuerySet(models.QuerySet):
    """A queryset that knows whether it was restricted to one organisation.

    Scoping happens through `for_organization(org)` or any filter on the `organization`
    field (which is how Django's related managers and unique checks restrict). Platform
    code that must see every organisation says so with `all_organizations()`.
    """

    _scoped = False

    def _clone(self):
        clone = super()._clone()
        clone._scoped = self._scoped
        return clone

    def _mark_scoped(self):
        self._scoped = True
        return self

    def for_organization(self, organization):
        if organization is None:
            return self.filter(organization__isnull=True)
        return self.filter(organization=organization)

    def none(self):
        return super().none()._mark_scoped()  # returns nothing, so nothing can leak

    def all_organizations(self):
        return self._clone()._mark_scoped()

    def filter(self, *args, **kwargs):
        clone = super().filter(*args, **kwargs)
        if any(key == "organization" or key.startswith("organization_") for key in kwargs):
            clone._mark_scoped()
        elif in_request() and _refers_to_objects(kwargs):
            # A related manager (group.members.all()) or a prefetch: keep it inside the
            # request's organisation, whatever organisation the instance claims.
            organization = current_organization()
            if organization is not None:
                clone = models.QuerySet.filter(clone, organization=organization)
                clone._mark_scoped()
        return clone

    def _check_scoped(self):
        if in_request() and not self._scoped:
            raise UnscopedQueryError(
                f"{self.model.__name__} queried without an organisation inside a request"
            )

    # Every path that sends SQL passes one of these.
    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scoped()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._check_scoped()
        return super().iterator(*args, **kwargs)

    def count(self):
        self._check_scoped()
        return super().count()

    def exists(self):
        self._check_scoped()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._check_scoped()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scoped()
        return super().update(**kwargs)

    def delete(self):
        self._check_scoped()
        return super().delete()


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    pass


class LiveManagerMixin:
    """For models with tombstones (`deleted_at`): the default manager shows live objects
    only — and so does every related manager built from it — so that no rule, network
    computation or uniqueness check can count a deleted object by forgetting to leave it
    out. `all_objects` (a plain manager beside it) reaches the tombstones."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class LiveTenantManager(LiveManagerMixin, TenantManager):
    pass

"""Filtering that never returns the whole collection by mistake: unknown parameters → 400."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db import connection
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions

from .converters import MAX_ID

PAGINATION_PARAMS = frozenset({"page", "page_size", "cursor", "count"})


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An object id: a whole number from 1 to 2^63-1 (anything else → 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 100, "maximum": 599})
class StatusFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=100, max_value=599, **kwargs)


class FilterSet(django_filters.FilterSet):
    """Base of every filter set: `with_defaults` says what a list shows when a filter is
    not given (e.g. active users only). It runs on every list, filtered or not, so the
    backend can skip building the filter set's form when no filter is given at all."""

    @classmethod
    def with_defaults(cls, queryset, given: dict):
        """`given`: the cleaned filter values (empty when the request names no filter)."""
        return queryset

    def filter_queryset(self, queryset):
        return super().filter_queryset(self.with_defaults(queryset, self.form.cleaned_data))


class StrictFilterBackend(DjangoFilterBackend):
    """Filters apply to lists only; a single object is found by its id whatever its state.
    A list that names no filter costs no filter set: only its defaults apply."""

    def filter_queryset(self, request, queryset, view):
        is_list = getattr(view, "action", None) == "list"
        allowed = set(PAGINATION_PARAMS) if is_list else set()
        filterset_class = self.get_filterset_class(view, queryset) if is_list else None
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise exceptions.ValidationError(
                {name: [exceptions.ErrorDetail(
                    _("Unknown query parameter '%(name)s'. Allowed: %(allowed)s.")
                    % {"name": name, "allowed": ", ".join(sorted(allowed))},
                    code="unknown_parameter")] for name in unknown}
            )
        # An empty value is a mistake, not "no filter": it must not widen the answer.
        # (`cursor=` is the one exception: the empty cursor is the first page.)
        empty = sorted(name for name, value in request.query_params.items()
                       if value == "" and not (is_list and name == "cursor"))
        if empty:
            raise exceptions.ValidationError(
                {name: [exceptions.ErrorDetail(_("An empty value is not allowed; leave the "
                                               "parameter out instead."),
                                               code="invalid_parameter")] for name in empty}
            )
        if not is_list:
            return queryset
        if filterset_class is not None and request.query_params.keys() <= PAGINATION_PARAMS \
                and issubclass(filterset_class, FilterSet):
            return filterset_class.with_defaults(queryset, {})
        return super().filter_queryset(request, queryset, view)


class UtcDateTimeField(forms.DateTimeField):
    """An ISO 8601 date-time, turned into UTC before it reaches the database: an offset that
    Python allows but PostgreSQL does not (+19:36), or a date that leaves the calendar in
    UTC, is a 400 rather than a database error."""

    def to_python(self, value):
        value = django_filters.fields.IsoDateTimeField().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError(_("Out of range."), code="invalid") from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class ModifiedSinceFilterSet(FilterSet):
    """Base filter set: every collection can be synchronised with `modified_since`."""

    modified_since = UtcDateTimeFilter(
        method="filter_modified_since",
        help_text="Only objects modified at or after this ISO 8601 date-time.",
    )

    # SQLite's planner has no statistics of value ranges (no STAT4): asked for a page in id
    # order it walks the organisation in id order, testing `modified` row by row — the whole
    # organisation when nothing matches. When few objects match (the polling case), their
    # ids are taken from the `modified` index first and the page is found among them.
    FEW = 10_000

    def filter_modified_since(self, queryset, name, value):
        recent = queryset.filter(modified__gte=value)
        if connection.vendor != "sqlite":
            return recent  # PostgreSQL's planner knows the range's size
        ids = list(recent.order_by().values_list("id", flat=True)[:self.FEW + 1])
        return queryset.filter(id__in=ids) if len(ids) <= self.FEW else recent


class IncludeDeletedMixin(FilterSet):
    """Lists of Tombstoned models: `?include_deleted=true` adds the tombstones. The view
    reads it (OrganizationScopedMixin._manager: the live manager is the default, so a list
    without this filter can never show a tombstone); here it is declared and validated."""

    include_deleted = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="keep_queryset",
        help_text="`true`: also deleted objects (with their `deleted_at`); default `false`.")

    def keep_queryset(self, queryset, name, value):
        return queryset

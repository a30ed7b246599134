"""Filtering that never returns the whole collection by mistake: unknown parameters → 400."""

from __future__ import annotations

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

PAGINATION_PARAMS = frozenset({"page", "page_size"})


class StrictFilterBackend(DjangoFilterBackend):
    """Filters apply to lists only; a single object is found by its id whatever its state."""

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
                    f"Unknown query parameter '{name}'. Allowed: {', '.join(sorted(allowed))}.",
                    code="unknown_parameter")] for name in unknown}
            )
        return super().filter_queryset(request, queryset, view) if is_list else queryset


class ModifiedSinceFilterSet(django_filters.FilterSet):
    """Base filter set: every collection can be synchronised with `modified_since`."""

    modified_since = django_filters.IsoDateTimeFilter(
        field_name="modified", lookup_expr="gte",
        help_text="Only objects modified at or after this ISO 8601 date-time.",
    )

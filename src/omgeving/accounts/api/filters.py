from __future__ import annotations

import django_filters
from django.db.models import Q

from omgeving.api.filters import ModifiedSinceFilterSet

from ..models import Role, User


class UserFilterSet(ModifiedSinceFilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices, method="filter_role",
                                       help_text="Users holding this role type.")
    is_active = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false"), ("all", "all")], method="filter_active",
        help_text="`true` (the default when absent), `false`, or `all`.",
    )
    search = django_filters.CharFilter(
        method="filter_search", max_length=100,
        help_text="Case-insensitive match in first/last/display name, e-mail or username.",
    )
    external_id = django_filters.CharFilter(field_name="external_id", max_length=100)

    class Meta:
        model = User
        fields = ["role", "is_active", "search", "external_id", "modified_since"]

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("is_active"):
            queryset = queryset.filter(is_active=True)  # active accounts by default, as in JO
        return super().filter_queryset(queryset)

    def filter_role(self, queryset, name, value):
        return queryset.with_role(value)

    def filter_active(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(is_active=value == "true")

    def filter_search(self, queryset, name, value):
        terms = Q()
        for field in ("first_name", "last_name", "display_name", "email", "username"):
            terms |= Q(**{f"{field}__icontains": value})
        return queryset.filter(terms)

from __future__ import annotations

import django_filters
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from rest_framework import exceptions

from omgeving.api.filters import IdFilter, ModifiedSinceFilterSet
from omgeving.errors import raises

from .. import search
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
        help_text="Case-insensitive match anywhere in first/last/display name, e-mail or "
        "username (on a trigram index from 3 characters).",
    )
    external_id = django_filters.CharFilter(field_name="external_id", max_length=100)
    care_status = IdFilter(method="filter_care_status",
                           help_text="Clients whose current care status is this one (id); "
                           "only where the care-status feature is on.")

    class Meta:
        model = User
        fields = ["role", "is_active", "search", "external_id", "care_status",
                  "modified_since"]

    @classmethod
    def with_defaults(cls, queryset, given: dict):
        if not given.get("is_active"):
            queryset = queryset.filter(is_active__equals=True)  # active ones by default, as in JO
        return super().with_defaults(queryset, given)

    def filter_role(self, queryset, name, value):
        return queryset.with_role(value)

    def filter_active(self, queryset, name, value):
        return queryset if value == "all" else \
            queryset.filter(is_active__equals=value == "true")

    @raises("filter_unavailable")
    def filter_care_status(self, queryset, name, value):
        from omgeving.network.models import ClientCareStatus

        organization = self.request.organization
        if not organization.has_feature("care_status"):
            raise exceptions.ValidationError({name: [exceptions.ErrorDetail(
                _("Care status is not switched on for this organisation."),
                code="filter_unavailable")]})
        latest = (ClientCareStatus.objects.for_organization(organization)
                  .filter(client=OuterRef("pk")).order_by("-set_at", "-id").values("status")[:1])
        return queryset.annotate(current_care_status=Subquery(latest)).filter(
            current_care_status=value)

    def filter_search(self, queryset, name, value):
        return queryset.filter(search.matching(value))

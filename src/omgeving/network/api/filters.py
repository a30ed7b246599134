from __future__ import annotations

import django_filters
from django.utils import timezone

from omgeving.api.filters import FilterSet, IdFilter, IncludeDeletedMixin, ModifiedSinceFilterSet

from ..models import (
    CareStatus,
    Family,
    Group,
    GroupClient,
    GroupMember,
    Invitation,
    Relation,
    RelationAuthorisation,
    RelationType,
    today,
)


class IncludeEndedMixin(FilterSet):
    include_ended = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_include_ended",
        help_text="`true`: also ended ones (default `false`: only those not ended today).")

    @classmethod
    def with_defaults(cls, queryset, given: dict):
        if given.get("include_ended") != "true":
            queryset = queryset.exclude(end_date__lt=today())
        return super().with_defaults(queryset, given)

    def filter_include_ended(self, queryset, name, value):
        return queryset


class RelationFilterSet(IncludeEndedMixin, IncludeDeletedMixin, ModifiedSinceFilterSet):
    client = IdFilter(field_name="client_id")
    person = IdFilter(field_name="person_id")
    relation_type = IdFilter(field_name="relation_type_id")
    authorisation = django_filters.ChoiceFilter(choices=RelationAuthorisation.choices)
    external_id = django_filters.CharFilter(max_length=100)

    class Meta:
        model = Relation
        fields = ["client", "person", "relation_type", "authorisation", "external_id",
                  "include_ended", "modified_since"]


class GroupFilterSet(IncludeDeletedMixin, ModifiedSinceFilterSet):
    external_id = django_filters.CharFilter(max_length=100)
    kind = django_filters.ChoiceFilter(choices=Group.Kind.choices)

    class Meta:
        model = Group
        fields = ["external_id", "kind", "modified_since"]


class GroupMemberFilterSet(IncludeEndedMixin, IncludeDeletedMixin, ModifiedSinceFilterSet):
    group = IdFilter(field_name="group_id")
    user = IdFilter(field_name="user_id")
    external_id = django_filters.CharFilter(max_length=100)

    class Meta:
        model = GroupMember
        fields = ["group", "user", "external_id", "include_ended", "modified_since"]


class GroupClientFilterSet(IncludeEndedMixin, IncludeDeletedMixin, ModifiedSinceFilterSet):
    group = IdFilter(field_name="group_id")
    client = IdFilter(field_name="client_id")
    external_id = django_filters.CharFilter(max_length=100)

    class Meta:
        model = GroupClient
        fields = ["group", "client", "external_id", "include_ended", "modified_since"]


class RelationTypeFilterSet(IncludeDeletedMixin, ModifiedSinceFilterSet):
    class Meta:
        model = RelationType
        fields = ["modified_since"]


class FamilyFilterSet(IncludeDeletedMixin, ModifiedSinceFilterSet):
    external_id = django_filters.CharFilter(max_length=100)
    member = IdFilter(field_name="memberships__user_id", help_text="Families of this user.")

    class Meta:
        model = Family
        fields = ["external_id", "member", "modified_since"]


class CareStatusFilterSet(IncludeDeletedMixin, ModifiedSinceFilterSet):
    is_active = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_active")

    class Meta:
        model = CareStatus
        fields = ["is_active", "modified_since"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "true")


class InvitationFilterSet(ModifiedSinceFilterSet):
    state = django_filters.ChoiceFilter(choices=Invitation.State.choices,
                                        method="filter_state",
                                        help_text="The computed state (expiry included).")
    client = IdFilter(field_name="client_id")
    kind = django_filters.ChoiceFilter(choices=Invitation.Kind.choices)

    class Meta:
        model = Invitation
        fields = ["state", "client", "kind", "modified_since"]

    def filter_state(self, queryset, name, value):
        now = timezone.now()
        if value == Invitation.State.EXPIRED:
            return queryset.filter(state=Invitation.State.PENDING, expires_at__lte=now)
        if value == Invitation.State.PENDING:
            return queryset.filter(state=value, expires_at__gt=now)
        return queryset.filter(state=value)

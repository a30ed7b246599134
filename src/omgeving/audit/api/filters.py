from __future__ import annotations

import django_filters

from omgeving.api.filters import FilterSet, IdFilter, StatusFilter, UtcDateTimeFilter

from ..models import AccessLogEntry, Action


class AccessLogFilterSet(FilterSet):
    subject = IdFilter(field_name="subject_id", help_text="Entries about this person (user id).")
    actor = IdFilter(field_name="actor_id",
                     help_text="Entries by this Application user (user id).")
    resource = django_filters.CharFilter(max_length=50)
    action = django_filters.ChoiceFilter(choices=Action.choices)
    status = StatusFilter(help_text="HTTP status of the answer.")
    since = UtcDateTimeFilter(field_name="timestamp", lookup_expr="gte",
                                             help_text="At or after this ISO 8601 date-time.")
    until = UtcDateTimeFilter(field_name="timestamp", lookup_expr="lt",
                                             help_text="Before this ISO 8601 date-time.")

    class Meta:
        model = AccessLogEntry
        fields = ["subject", "actor", "resource", "action", "status", "since", "until"]

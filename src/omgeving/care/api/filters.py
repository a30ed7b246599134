from __future__ import annotations

import django_filters

from omgeving.api.filters import (
    IdFilter,
    IncludeDeletedMixin,
    ModifiedSinceFilterSet,
    UtcDateTimeFilter,
)

from ..models import Appointment, Document, Goal, GoalProgress, Message, MessageThread, Report


class ContentFilterSet(IncludeDeletedMixin, ModifiedSinceFilterSet):
    client = IdFilter(field_name="client_id")
    author = IdFilter(field_name="author_id")


class ExternalIdMixin(django_filters.FilterSet):
    external_id = django_filters.CharFilter(max_length=100)


class ThreadFilterSet(ExternalIdMixin, ContentFilterSet):
    participant = IdFilter(field_name="participations__user_id", distinct=True)

    class Meta:
        model = MessageThread
        fields = ["client", "author", "participant", "external_id", "modified_since"]


class MessageFilterSet(ContentFilterSet):
    class Meta:
        model = Message
        fields = ["author", "modified_since"]


class AppointmentFilterSet(ExternalIdMixin, ContentFilterSet):
    participant = IdFilter(field_name="participations__user_id", distinct=True)
    status = django_filters.ChoiceFilter(choices=Appointment.Status.choices)
    # `from` and `until` (not Python names): appointments that end at or after `from` and
    # start at or before `until` — those that overlap the period.
    locals()["from"] = UtcDateTimeFilter(field_name="ends_at", lookup_expr="gte",
                                         help_text="Only appointments ending at or after "
                                         "this ISO 8601 date-time.")
    until = UtcDateTimeFilter(field_name="starts_at", lookup_expr="lte",
                              help_text="Only appointments starting at or before this ISO "
                              "8601 date-time.")

    class Meta:
        model = Appointment
        fields = ["client", "author", "participant", "status", "external_id",
                  "modified_since"]


class GoalFilterSet(ExternalIdMixin, ContentFilterSet):
    status = django_filters.ChoiceFilter(choices=Goal.Status.choices)

    class Meta:
        model = Goal
        fields = ["client", "author", "status", "external_id", "modified_since"]


class GoalProgressFilterSet(ContentFilterSet):
    class Meta:
        model = GoalProgress
        fields = ["author", "modified_since"]


class ReportFilterSet(ExternalIdMixin, ContentFilterSet):
    kind = django_filters.ChoiceFilter(choices=Report.Kind.choices)

    class Meta:
        model = Report
        fields = ["client", "author", "kind", "external_id", "modified_since"]


class DocumentFilterSet(ExternalIdMixin, ContentFilterSet):
    class Meta:
        model = Document
        fields = ["client", "author", "external_id", "modified_since"]

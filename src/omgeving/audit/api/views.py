from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from omgeving.accounts.grants import Grant
from omgeving.api.viewsets import ListModelMixin, OrganizationViewSet

from ..models import AccessLogEntry
from .filters import AccessLogFilterSet
from .serializers import AccessLogEntrySerializer


@extend_schema_view(
    list=extend_schema(summary="Read the access log", description=(
        "Who read or changed which person's data, when, from where and with what result. "
        "Needs the `audit` grant. Reading the log is itself logged, as a read of the persons "
        "the entries are about.")),
    retrieve=extend_schema(summary="One access-log entry"),
)
class AccessLogViewSet(OrganizationViewSet, ListModelMixin, mixins.RetrieveModelMixin):
    """The access log: who read or changed whose data."""

    model = AccessLogEntry
    serializer_class = AccessLogEntrySerializer
    filterset_class = AccessLogFilterSet
    required_grant = Grant.AUDIT
    audit_resource = "access-log"

    def get_base_queryset(self, queryset):
        return queryset.select_related("subject").order_by("id")

    def audit_subjects(self, entry):
        # Entries about nobody (e.g. a 404) concern no person.
        return [entry.subject] if entry.subject_id else []

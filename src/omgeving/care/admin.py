"""Administrators see every piece of content of their organisation, deleted ones included,
read-only: content is written on someone's behalf through the API's rules, never edited in
the admin. Opening one is a read of its client's data in the access log."""

from __future__ import annotations

from django.contrib import admin

from omgeving.audit import services as audit
from omgeving.tenancy.admin_base import ReadOnlyAdminMixin, TenantModelAdmin

from . import models

PEOPLE = ["client", "author", "editor", "written_by", "deleted_by"]


class ContentAdmin(ReadOnlyAdminMixin, TenantModelAdmin):
    exclude = ["organization"]
    list_filter = ["created"]
    list_select_related = ["client", "author"]
    search_fields = ["client__username", "client__display_name", "author__username"]
    date_hierarchy = "created"

    @property
    def feature(self):
        return self.model.CATEGORY

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if queryset.query.is_empty():
            return queryset
        return self.model.all_objects.for_organization(request.organization)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = response.context_data["original"]
            audit.record_admin(request, person=obj.client,
                               resource=f"admin:{self.model.CATEGORY}", action="read")
        return response


@admin.register(models.MessageThread)
class MessageThreadAdmin(ContentAdmin):
    list_display = ["subject", "client", "author", "closed_at", "created", "deleted_at"]


@admin.register(models.Message)
class MessageAdmin(ContentAdmin):
    list_display = ["thread", "client", "author", "sent_at", "deleted_at"]
    list_select_related = ["thread", "client", "author"]


@admin.register(models.Appointment)
class AppointmentAdmin(ContentAdmin):
    list_display = ["title", "client", "starts_at", "status", "author", "deleted_at"]
    list_filter = ["status", "starts_at"]


@admin.register(models.Goal)
class GoalAdmin(ContentAdmin):
    list_display = ["title", "client", "status", "target_date", "author", "deleted_at"]
    list_filter = ["status"]


@admin.register(models.GoalProgress)
class GoalProgressAdmin(ContentAdmin):
    list_display = ["goal", "client", "score", "recorded_on", "author"]
    list_select_related = ["goal", "client", "author"]


@admin.register(models.Report)
class ReportAdmin(ContentAdmin):
    list_display = ["title", "kind", "client", "occurred_on", "author", "deleted_at"]
    list_filter = ["kind", "occurred_on"]


@admin.register(models.Document)
class DocumentAdmin(ContentAdmin):
    """The file itself is downloaded through the API only (as an attachment, logged)."""

    exclude = ["organization", "file"]
    list_display = ["title", "client", "filename", "content_type", "size", "author",
                    "deleted_at"]

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from omgeving.tenancy.admin_base import ReadOnlyAdminMixin, TenantModelAdmin

from . import services
from .models import Webhook, WebhookDelivery


def _save_from_admin(webhook: Webhook) -> None:
    """The admin changes one thing, on or off, through the API's service."""
    services.save_webhook(webhook, reason=str(_("Switched off by an administrator.")))


@admin.register(Webhook)
class WebhookAdmin(TenantModelAdmin):
    """Administrators see every application's webhooks and switch them on or off; the
    applications make them (POST /api/webhooks/)."""

    list_display = ["url", "owner", "events", "is_active", "disabled_reason", "created"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    fields = ["owner", "url", "events", "description", "is_active", "disabled_reason",
              "disabled_at", "created", "modified"]
    readonly_fields = ["owner", "url", "events", "description", "disabled_reason",
                       "disabled_at", "created", "modified"]
    actions = ["switch_off"]
    rule_save = staticmethod(_save_from_admin)

    def has_add_permission(self, request, *args):
        return False

    @admin.action(description=_("Switch off the selected webhooks"))
    def switch_off(self, request, queryset):
        for webhook in queryset:
            services.set_active(webhook, False,
                                reason=str(_("Switched off by an administrator.")))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, TenantModelAdmin):
    list_display = ["event_type", "event_id", "webhook", "state", "attempts", "status_code",
                    "error", "next_retry_at", "created"]
    list_filter = ["state", "kind"]
    search_fields = ["event_id", "event_type"]

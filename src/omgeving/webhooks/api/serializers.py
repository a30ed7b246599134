from __future__ import annotations

from rest_framework import serializers

from omgeving.api.serializers import ServiceWriteMixin, StrictModelSerializer
from omgeving.errors import raises

from .. import services
from ..models import Webhook, WebhookDelivery


class WebhookSerializer(ServiceWriteMixin, StrictModelSerializer):
    """A subscription: the events to deliver to `url`, signed per Standard Webhooks."""

    save_service = services.save_webhook
    events = serializers.ListField(
        child=serializers.CharField(max_length=80), min_length=1, max_length=50,
        help_text="`*` (everything the application may read), `<resource>.*` or "
        "`<resource>.<action>` (created, updated, deleted), e.g. `users.*`, "
        "`relations.deleted`. Resources are those of GET /api/changes/.")

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "is_active", "description", "disabled_reason",
                  "disabled_at", "created", "modified"]
        read_only_fields = ["id", "disabled_reason", "disabled_at", "created", "modified"]
        extra_kwargs = {"url": {"help_text": "Where events are POSTed: https, a public "
                                             "address (checked again at every delivery)."}}

    @raises(also=(services.save_webhook,))
    def create(self, validated_data):
        return super().create(validated_data)

    @raises(also=(services.save_webhook,))
    def update(self, instance, validated_data):
        return super().update(instance, validated_data)


class WebhookSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text=(
        "The signing secret (Standard Webhooks, `whsec_…`), shown only in this answer."))
    previous_secret_valid_until = serializers.DateTimeField(
        source="previous_secret_until", read_only=True, allow_null=True, help_text=(
            "After a rotation: until when messages are signed with the old secret too."))

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret", "previous_secret_valid_until"]
        read_only_fields = [*WebhookSerializer.Meta.read_only_fields, "secret",
                            "previous_secret_valid_until"]


class WebhookEventSerializer(serializers.Serializer):
    """The body of every webhook message: which object changed, never what it holds."""

    id = serializers.CharField(help_text="The event's id, also in `webhook-id`; the same on "
                               "every retry and redelivery.")
    type = serializers.CharField(help_text="`<resource>.<action>`, e.g. `users.updated`; "
                                 "`webhook.ping` for a ping.")
    object_id = serializers.IntegerField(help_text="The changed object's id (the webhook's "
                                         "for a ping).")
    external_id = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True, help_text="The object's version "
                                       "after this change (its ETag).")
    at = serializers.DateTimeField()
    cursor = serializers.CharField(allow_null=True, help_text="Read the change feed after "
                                   "this event: GET /api/changes/?after=<cursor>.")


class AttemptSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event (or ping) sent to a webhook, with its attempts."""

    payload = WebhookEventSerializer(read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True,
                                    help_text="The last 25 attempts, oldest first.")

    class Meta:
        model = WebhookDelivery
        fields = ["id", "kind", "event_id", "event_type", "payload", "state", "attempts",
                  "status_code", "duration_ms", "error", "next_retry_at", "first_attempt_at",
                  "delivered_at", "attempt_log", "created"]
        read_only_fields = fields

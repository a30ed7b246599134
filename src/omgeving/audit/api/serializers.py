from __future__ import annotations

from rest_framework import serializers

from ..models import AccessLogEntry


class AccessLogEntrySerializer(serializers.ModelSerializer):
    """One access to one person's data (NEN 7513): who, whose, what, when, from where, and
    the answer's status."""

    sensitive_fields = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="Sensitive fields read or written, e.g. bsn.")

    class Meta:
        model = AccessLogEntry
        fields = ["id", "request_id", "timestamp", "actor", "actor_username", "subject",
                  "resource", "action", "sensitive_fields", "method", "path", "query", "ip",
                  "status"]
        read_only_fields = fields

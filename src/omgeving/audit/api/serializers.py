from __future__ import annotations

from rest_framework import serializers

from ..models import AccessLogEntry


class AccessLogEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessLogEntry
        fields = ["id", "request_id", "timestamp", "actor", "actor_username", "subject",
                  "resource", "action", "sensitive_fields", "method", "path", "query", "ip",
                  "status"]
        read_only_fields = fields

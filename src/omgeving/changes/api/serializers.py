from __future__ import annotations

from rest_framework import serializers

from omgeving.api.serializers import StrictSerializer

from ..models import ChangeEvent


class ChangesQuerySerializer(StrictSerializer):
    after = serializers.CharField(required=False, max_length=100, help_text=(
        "The `next_cursor` of the previous answer; `latest` for the position now. Without "
        "it the feed starts at the oldest event kept."))
    resource = serializers.CharField(required=False, max_length=500, help_text=(
        "Comma-separated resources, e.g. `users,relations`; default all the application may "
        "read."))
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)


class ChangeEventSerializer(serializers.ModelSerializer):
    cursor = serializers.SerializerMethodField(help_text="Resume after this event with it.")

    class Meta:
        model = ChangeEvent
        fields = ["cursor", "resource", "object_id", "external_id", "action", "version", "at"]
        read_only_fields = fields

    def get_cursor(self, event) -> str:
        from ..services import encode_cursor

        return encode_cursor(event.seq)


class ChangesSerializer(serializers.Serializer):
    results = ChangeEventSerializer(many=True)
    next_cursor = serializers.CharField(help_text="Pass as `after` to read on.")
    has_more = serializers.BooleanField(help_text="More events wait after `next_cursor`.")

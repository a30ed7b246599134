from __future__ import annotations

from rest_framework import exceptions, serializers


class StrictSerializerMixin:
    """Reject body keys that are not fields: a typo must not be silently dropped. Fields the
    application has no grant for (context `hidden_fields`) do not exist for it."""

    def get_fields(self):
        fields = super().get_fields()
        for name in self.context.get("hidden_fields", ()):
            fields.pop(name, None)
        return fields

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise exceptions.ValidationError(
                    {name: [exceptions.ErrorDetail("Unknown field.", code="unknown_field")]
                     for name in unknown}
                )
        return super().to_internal_value(data)


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    pass

from __future__ import annotations

import re

from django.db import models
from rest_framework import exceptions, serializers

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StrictDateField(serializers.DateField):
    """A date is YYYY-MM-DD (RFC 3339 full-date) and nothing else: no '20200101', no
    '2020-1-1', no date-time."""

    def to_internal_value(self, value):
        if not isinstance(value, str) or not ISO_DATE.match(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false; not "yes", 1 or "false"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


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
            # A read-only field (id, modified, …) in a body would be silently ignored: the
            # sender believes it wrote something it did not.
            read_only = sorted(n for n in data.keys() if self.fields[n].read_only)
            if read_only:
                raise exceptions.ValidationError(
                    {name: [exceptions.ErrorDetail("This field is read-only.",
                                                   code="read_only_field")]
                     for name in read_only})
            # DRF turns 0 into "0" and a JSON object into the list of its keys; a string field
            # takes strings only, a list field lists only.
            errors = {}
            for name, value in data.items():
                field = self.fields[name]
                if (isinstance(field, serializers.CharField) and value is not None
                        and not isinstance(value, str)):
                    errors[name] = [exceptions.ErrorDetail("Not a string.", code="invalid")]
                elif (isinstance(field, serializers.ListField | serializers.ManyRelatedField)
                      and not isinstance(value, list)):
                    errors[name] = [exceptions.ErrorDetail("Not a list.", code="not_a_list")]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: StrictDateField,
        models.BooleanField: StrictBooleanField,
    }


# Writes go to the resource's service, which holds the rules: `create()` builds the object
# in the request's organisation, `update()` applies the changes, and both hand it to
# `save_service(obj, actor=<the calling application>)`. Serializers translate, views route,
# services decide. (No docstring: drf-spectacular would make it every schema's description.)
class ServiceWriteMixin:

    save_service = None

    def _save(self, instance):
        return type(self).save_service(instance, actor=self.context.get("actor"))

    def create(self, validated_data):
        return self._save(self.Meta.model(organization=self.context["organization"],
                                          **validated_data))

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self._save(instance)


class BulkErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    detail = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    external_id = serializers.CharField(allow_null=True)
    id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    errors = BulkErrorSerializer(many=True)


class BulkAnswerSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True, help_text="One per item, in order.")


class ExternalIdField(serializers.CharField):
    """The organisation's own key for an object: unique per organisation when set; "" and
    null both mean none (stored as null)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "The key of this object in the organisation's own "
                          "system (ECD/EPD); unique per organisation; empty or null: none.")
        super().__init__(max_length=100, allow_null=True, allow_blank=True, required=False,
                         **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return value or None

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext as _
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
                    {name: [exceptions.ErrorDetail(_("Unknown field."), code="unknown_field")]
                     for name in unknown}
                )
            # A read-only field (id, modified, …) in a body would be silently ignored: the
            # sender believes it wrote something it did not.
            read_only = sorted(n for n in data.keys() if self.fields[n].read_only)
            if read_only:
                raise exceptions.ValidationError(
                    {name: [exceptions.ErrorDetail(_("This field is read-only."),
                                                   code="read_only_field")]
                     for name in read_only})
            # DRF turns 0 into "0" and a JSON object into the list of its keys; a string field
            # takes strings only, a list field lists only.
            errors = {}
            for name, value in data.items():
                field = self.fields[name]
                if (isinstance(field, serializers.CharField) and value is not None
                        and not isinstance(value, str)):
                    errors[name] = [exceptions.ErrorDetail(_("Not a string."), code="invalid")]
                elif (isinstance(field, serializers.ListField | serializers.ManyRelatedField)
                      and not isinstance(value, list)):
                    errors[name] = [exceptions.ErrorDetail(_("Not a list."), code="not_a_list")]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    pass


class VersionMixin:
    """Every object that has a version shows it (its ETag without the quotes), in lists too:
    a mirror reading a page knows each object's version without a GET each."""

    def get_field_names(self, declared_fields, info):
        names = list(super().get_field_names(declared_fields, info))
        if "version" in info.fields and "version" not in names:
            names.append("version")
        return names


class StrictModelSerializer(VersionMixin, StrictSerializerMixin, serializers.ModelSerializer):
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


# Opt-in for a list serializer whose answer is made of columns: the frame's list then reads
# a page as rows (`QuerySet.values()`, no model instances) and turns each row into the
# answer through this serializer's own fields — each field's `to_representation`, `None`
# kept as `None`, in field order, exactly as DRF does (tests/api/test_rows.py holds every
# such serializer to DRF's answer). A field whose source is no column names its columns and
# a function of the row in `row_sources`. Fields must represent a value without context (no
# links, no request): the plan is built once per class and set of hidden fields.
# (A comment, not a docstring: drf-spectacular would make it the schema's description.)
class RowsSerializerMixin(VersionMixin):

    row_sources: dict[str, tuple[tuple[str, ...], object]] = {}

    @classmethod
    def row_plan(cls, hidden_fields=frozenset()) -> RowPlan:
        key = (cls, frozenset(hidden_fields))
        plan = _ROW_PLANS.get(key)
        if plan is None:
            plan = _ROW_PLANS[key] = RowPlan(cls(context={"hidden_fields": hidden_fields}))
        return plan


_ROW_PLANS: dict = {}


class RowPlan:
    """The columns a list reads and how a row becomes one item of the answer."""

    def __init__(self, serializer):
        meta = serializer.Meta.model._meta
        columns = {f.name: f.attname for f in meta.concrete_fields if not f.is_relation}
        self.columns, self.steps = [meta.pk.attname], []
        for field in serializer._readable_fields:
            name = field.field_name
            if name in serializer.row_sources:
                needed, function = serializer.row_sources[name]
                self.columns += needed
                self.steps.append((name, None, function, field.to_representation))
            elif field.source in columns:
                self.columns.append(columns[field.source])
                self.steps.append((name, columns[field.source], None, field.to_representation))
            else:
                raise TypeError(f"{type(serializer).__name__}.{name} is not a column: name "
                                "its columns in row_sources")
        self.columns = list(dict.fromkeys(self.columns))

    def represent(self, rows) -> list[dict]:
        answer = []
        for row in rows:
            item = {}
            for name, column, function, represent in self.steps:
                value = row[column] if function is None else function(row)
                item[name] = None if value is None else represent(value)
            answer.append(item)
        return answer

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers

from omgeving.accounts.models import User
from omgeving.api.converters import MAX_ID
from omgeving.api.serializers import ExternalIdField, StrictModelSerializer

from .. import services
from ..models import (
    BODY_MAX,
    Appointment,
    Document,
    Goal,
    GoalProgress,
    Message,
    MessageThread,
    Report,
)

READ_ONLY = ["id", "editor", "written_by", "created", "modified", "deleted_at", "deleted_by"]


class ParticipantsField(serializers.ListField):
    """The ids of the people taking part (the author of a new thread is added)."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                         required=False, max_length=100, **kwargs)

    def get_attribute(self, instance):
        return instance

    def to_representation(self, instance):
        cached = getattr(instance, "_prefetched_objects_cache", {}).get("participations")
        ids = [p.user_id for p in cached] if cached is not None else \
            services.participant_ids(instance)
        return sorted(ids)

    def to_internal_value(self, data):
        ids = list(dict.fromkeys(super().to_internal_value(data)))
        people = {u.pk: u for u in User.objects.for_organization(
            self.parent.context["organization"]).filter(pk__in=ids)}
        missing = [i for i in ids if i not in people]
        if missing:
            raise serializers.ValidationError([exceptions.ErrorDetail(
                _("Invalid pk \"%(pk)s\" - object does not exist.") % {"pk": missing[0]},
                code="does_not_exist")])
        return [people[i] for i in ids]


class ContentSerializer(StrictModelSerializer):
    """Writes go to the resource's service (care/services.py) with the person the write is on
    behalf of (`author`) and the calling application; participants are set through the
    service, which checks them."""

    save_service = None
    people = ("client", "author")  # person fields, looked up in the organisation only
    many = ()  # many-to-many person fields (participants)

    def get_fields(self):
        fields = super().get_fields()
        people = User.objects.for_organization(self.context.get("organization"))
        for name in self.people:
            field = fields.get(name)
            if field is not None and not field.read_only:
                field.queryset = people
        return fields

    def _save(self, instance, validated_data, author):
        extra = {name: validated_data.pop(name) for name in self.many if name in validated_data}
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return type(self).save_service(instance, actor=self.context.get("actor"),
                                       on_behalf_of=author, **extra)

    def create(self, validated_data):
        author = validated_data.pop("author")
        instance = self.Meta.model(organization=self.context["organization"],
                                   **self.context.get("parent", {}))
        return self._save(instance, validated_data, author)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data, validated_data.pop("author", None))


class ThreadSerializer(ContentSerializer):
    save_service = staticmethod(services.save_thread)
    many = ("participants",)
    participants = ParticipantsField()
    external_id = ExternalIdField()

    class Meta:
        model = MessageThread
        fields = ["id", "client", "subject", "participants", "closed_at", "author",
                  "external_id", *READ_ONLY]
        read_only_fields = READ_ONLY
        validators = []
        extra_kwargs = {"author": {"help_text": "The person on whose behalf the application "
                                   "writes; on a change, who the change is by (stored as "
                                   "`editor`)."}}


class MessageSerializer(ContentSerializer):
    save_service = staticmethod(services.save_message)
    people = ("author",)
    body = serializers.CharField(max_length=BODY_MAX, trim_whitespace=False,
                                 help_text="Plain text, at most 10,000 characters.")

    class Meta:
        model = Message
        fields = ["id", "thread", "client", "author", "body", "sent_at", *READ_ONLY]
        read_only_fields = ["thread", "client", "sent_at", *READ_ONLY]
        validators = []


class AppointmentSerializer(ContentSerializer):
    save_service = staticmethod(services.save_appointment)
    many = ("participants",)
    participants = ParticipantsField()
    external_id = ExternalIdField()

    class Meta:
        model = Appointment
        fields = ["id", "client", "title", "starts_at", "ends_at", "location", "online_url",
                  "participants", "status", "author", "external_id", *READ_ONLY]
        read_only_fields = READ_ONLY
        validators = []


class GoalSerializer(ContentSerializer):
    save_service = staticmethod(services.save_goal)
    external_id = ExternalIdField()

    class Meta:
        model = Goal
        fields = ["id", "client", "title", "description", "status", "target_date", "author",
                  "external_id", *READ_ONLY]
        read_only_fields = READ_ONLY
        validators = []


class GoalProgressSerializer(ContentSerializer):
    save_service = staticmethod(services.save_progress)
    people = ("author",)

    class Meta:
        model = GoalProgress
        fields = ["id", "goal", "client", "score", "note", "recorded_on", "author", *READ_ONLY]
        read_only_fields = ["goal", "client", *READ_ONLY]
        validators = []


class ReportSerializer(ContentSerializer):
    save_service = staticmethod(services.save_report)
    external_id = ExternalIdField()
    body = serializers.CharField(max_length=BODY_MAX, trim_whitespace=False)

    class Meta:
        model = Report
        fields = ["id", "client", "kind", "title", "body", "occurred_on", "author",
                  "external_id", *READ_ONLY]
        read_only_fields = READ_ONLY
        validators = []


class DocumentSerializer(ContentSerializer):
    save_service = staticmethod(services.save_document)
    external_id = ExternalIdField()
    file = serializers.FileField(write_only=True, allow_empty_file=False, use_url=False,
                                 help_text="PDF, PNG, JPEG or DOCX (by content), at most "
                                 "20 MiB. Download it at …/content/.")
    uploaded_by = serializers.PrimaryKeyRelatedField(
        source="author", read_only=True, help_text="The person it was uploaded on behalf of.")

    class Meta:
        model = Document
        fields = ["id", "client", "title", "file", "filename", "content_type", "size",
                  "sha256", "author", "uploaded_by", "external_id", *READ_ONLY]
        read_only_fields = ["filename", "content_type", "size", "sha256", *READ_ONLY]
        validators = []

    def create(self, validated_data):
        author, upload = validated_data.pop("author"), validated_data.pop("file")
        document = Document(organization=self.context["organization"], **validated_data)
        return services.save_document(document, actor=self.context.get("actor"),
                                      on_behalf_of=author, upload=upload)

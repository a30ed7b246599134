from __future__ import annotations

from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from omgeving.accounts.grants import Grant, for_action
from omgeving.accounts.models import User
from omgeving.api.converters import MAX_ID
from omgeving.api.schema import a, plural
from omgeving.api.viewsets import ListModelMixin, OrganizationViewSet, UpsertMixin
from omgeving.errors import raises
from omgeving.network.access import CONTENT

from .. import services, timeline
from ..files import ALLOWED, download_name
from ..models import (
    Appointment,
    Document,
    Goal,
    GoalProgress,
    Message,
    MessageThread,
    Participant,
    Report,
)
from . import filters
from .serializers import (
    AppointmentSerializer,
    DocumentSerializer,
    GoalProgressSerializer,
    GoalSerializer,
    MessageSerializer,
    ReportSerializer,
    ThreadSerializer,
)

CONFLICT = {409: OpenApiResponse(description="conflict")}
DELETE = ("Leaves a tombstone (`deleted_at`, `deleted_by`: the application): the object is "
          "left out of lists unless `?include_deleted=true`, and its address answers 410. "
          "Nothing about a client's care is hard-deleted.")


class ContentViewSet(OrganizationViewSet):
    """The frame of every content resource: its category (docs/access.md) is its grant
    family, its organisation feature and its access-log resource; every object is about its
    client (the access log's subject); DELETE leaves a tombstone through services.remove."""

    category = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.category:
            cls.grant_family = cls.feature = cls.category
            cls.audit_resource = cls.category

    def audit_subjects(self, obj):
        return [User(pk=obj.client_id)]

    def initial(self, request, *args, **kwargs):
        """What was deleted is not handed to every reader: `?include_deleted=true` on content
        needs the grant `deleted` (a mirror learns of deletions from the change feed and
        the 410 at the object's address, without the text)."""
        super().initial(request, *args, **kwargs)
        if request.query_params.get("include_deleted") == "true" and \
                not request.user.has_grant(Grant.DELETED):
            raise exceptions.PermissionDenied(
                _("This application lacks the grant 'deleted' needed to read deleted content "
                  "(?include_deleted=true)."), code="missing_grant")

    def get_base_queryset(self, queryset):
        if self.model in (MessageThread, Appointment):
            queryset = queryset.prefetch_related(Prefetch(
                "participations",
                queryset=Participant.objects.for_organization(self.organization)))
        return queryset.order_by("id")

    def perform_destroy(self, instance):
        services.remove(instance, actor=self.request.user)


class ChildrenMixin:
    """A list under a parent (`/api/<parents>/{<field>_pk}/<children>/`), with create:
    `parent_model` and the child's foreign key to it, `parent_field`."""

    parent_model = None
    parent_field = ""

    def parent(self):
        """The live parent in this organisation, or 404."""
        return get_object_or_404(self.parent_model.objects.for_organization(self.organization),
                                 pk=self.kwargs[f"{self.parent_field}_pk"])

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset
        return queryset.filter(**{f"{self.parent_field}_id":
                                  self.kwargs[f"{self.parent_field}_pk"]})

    def list(self, request, *args, **kwargs):
        self.audited(self.parent())  # an empty list is a read about the client too
        return super().list(request, *args, **kwargs)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "create" and not getattr(self, "swagger_fake_view", False):
            context["parent"] = {self.parent_field: self.parent()}
        return context


CRUD = (ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
        mixins.UpdateModelMixin, mixins.DestroyModelMixin)


def _schema(noun: str, *, delete=True, update=True):
    """Summaries and answers of a content viewset: writes answer the object."""

    def decorate(cls):
        answer = cls.serializer_class
        views = {"list": extend_schema(summary=f"List {plural(noun)}"),
                 "retrieve": extend_schema(summary=f"Get one {noun}"),
                 "create": extend_schema(summary=f"Create {a(noun)}",
                                         responses={201: answer, **CONFLICT})}
        if update:
            views["update"] = extend_schema(summary=f"Replace {a(noun)}",
                                            responses={200: answer, **CONFLICT})
            views["partial_update"] = extend_schema(summary=f"Change {a(noun)}",
                                                    responses={200: answer, **CONFLICT})
        if delete:
            views["destroy"] = extend_schema(summary=f"Delete {a(noun)}", description=DELETE)
        return extend_schema_view(**views)(cls)

    return decorate


@_schema("message thread", delete=False)
class MessageThreadViewSet(ContentViewSet, ListModelMixin, mixins.RetrieveModelMixin,
                           mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """Conversations around one client among people of the client's network."""

    model, category = MessageThread, "messages"
    serializer_class = ThreadSerializer
    filterset_class = filters.ThreadFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]


@extend_schema_view(list=extend_schema(summary="List a thread's messages"),
                    create=extend_schema(summary="Send a message in a thread",
                                         responses={201: MessageSerializer, **CONFLICT}))
class ThreadMessageViewSet(ChildrenMixin, ContentViewSet, ListModelMixin,
                           mixins.CreateModelMixin):
    """The messages of one thread, oldest first. Messages are never edited."""

    model, category = Message, "messages"
    parent_model, parent_field = MessageThread, "thread"
    detail_route = "message-detail"
    serializer_class = MessageSerializer
    filterset_class = filters.MessageFilterSet


@extend_schema_view(retrieve=extend_schema(summary="Get one message"),
                    destroy=extend_schema(summary="Delete a message", description=DELETE))
class MessageViewSet(ContentViewSet, mixins.RetrieveModelMixin, mixins.DestroyModelMixin):
    """One message (no editing: a message once sent stays as it was)."""

    model, category = Message, "messages"
    serializer_class = MessageSerializer


@_schema("appointment")
class AppointmentViewSet(UpsertMixin, ContentViewSet, *CRUD):
    """The client's agenda: appointments with people of the client's network."""

    model, category = Appointment, "appointments"
    serializer_class = AppointmentSerializer
    filterset_class = filters.AppointmentFilterSet


@_schema("goal")
class GoalViewSet(UpsertMixin, ContentViewSet, *CRUD):
    """The client's goals; their progress is at /api/goals/{id}/progress/."""

    model, category = Goal, "goals"
    serializer_class = GoalSerializer
    filterset_class = filters.GoalFilterSet


@extend_schema_view(list=extend_schema(summary="List a goal's progress"),
                    create=extend_schema(summary="Record progress on a goal",
                                         responses={201: GoalProgressSerializer}))
class GoalProgressViewSet(ChildrenMixin, ContentViewSet, ListModelMixin,
                          mixins.CreateModelMixin):
    """Progress on one goal (a score 0–10 and a note), oldest first."""

    model, category = GoalProgress, "goals"
    parent_model, parent_field = Goal, "goal"
    serializer_class = GoalProgressSerializer
    filterset_class = filters.GoalProgressFilterSet


@_schema("report")
class ReportViewSet(UpsertMixin, ContentViewSet, *CRUD):
    """Reports by professionals (`report`) and diary entries by the client or a guardian
    (`diary`)."""

    model, category = Report, "reports"
    serializer_class = ReportSerializer
    filterset_class = filters.ReportFilterSet


class FileRenderer(BaseRenderer):
    """A download's only renderer: any Accept header is fine (the file answers in its own
    type); errors are still problem+json (the error handler names that type)."""

    media_type = "*/*"
    format = "file"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data) if data is not None else b""


@_schema("document", update=False)
@extend_schema_view(create=extend_schema(summary="Upload a document",
                                         request={"multipart/form-data": DocumentSerializer},
                                         responses={201: DocumentSerializer}))
class DocumentViewSet(ContentViewSet, ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, mixins.DestroyModelMixin):
    """Files shared around a client. Uploaded as multipart/form-data; the file's type is
    found from its content (PDF, PNG, JPEG, DOCX); downloaded only as an attachment."""

    model, category = Document, "documents"
    serializer_class = DocumentSerializer
    filterset_class = filters.DocumentFilterSet
    parser_classes = [MultiPartParser]

    @extend_schema(summary="Download a document's file",
                   responses={(200, media): OpenApiTypes.BINARY for media in ALLOWED},
                   description="The file as uploaded, as an attachment (`Content-Disposition: "
                   "attachment`, the uploaded name with the extension of the type found in "
                   "the file), `Cache-Control: no-store`, never inline. A read of the "
                   "client's documents in the access log.")
    @action(detail=True, methods=["get"], renderer_classes=[FileRenderer])
    @raises("deleted")  # the document's own address answers 410 once deleted, so does this
    def content(self, request, pk=None):
        document = self.get_object()
        response = FileResponse(document.file.open("rb"), as_attachment=True,
                                filename=download_name(document.filename,
                                                       document.content_type),
                                content_type=document.content_type)
        response["Cache-Control"] = "no-store"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class TimelineItemSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=CONTENT)
    resource = serializers.CharField()
    id = serializers.IntegerField()
    client = serializers.IntegerField()
    author = serializers.IntegerField()
    title = serializers.CharField()
    created = serializers.DateTimeField()
    url = serializers.CharField()


class WithheldSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    not_authorised = serializers.ListField(child=serializers.ChoiceField(choices=CONTENT))


class TimelineSerializer(serializers.Serializer):
    viewer = serializers.IntegerField()
    results = TimelineItemSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="The next page's address.")
    not_authorised = WithheldSerializer(many=True, help_text="Per client, the categories "
                                        "the viewer may not see (JO: \"you are not "
                                        "authorised to see this information\").")
    not_available = serializers.ListField(
        child=serializers.ChoiceField(choices=CONTENT),
        help_text="Categories left out for the application: the organisation has them "
        "switched off, or the application lacks their read grant.")


class TimelineQuerySerializer(serializers.Serializer):
    client = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    category = serializers.ChoiceField(choices=CONTENT, required=False)
    after = serializers.CharField(required=False, max_length=200)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100)


class UserTimelineViewSet(OrganizationViewSet):
    """What a person sees around the clients they relate to."""

    model = User
    grant_family = "relations"
    audit_resource = "timeline"

    def get_base_queryset(self, queryset):
        return queryset.order_by("id")

    @extend_schema(
        operation_id="users_timeline", summary="A person's timeline",
        parameters=[
            OpenApiParameter("client", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                             description="Only this client."),
            OpenApiParameter("category", str, enum=list(CONTENT)),
            OpenApiParameter("after", {"type": "string", "minLength": 1, "maxLength": 200,
                                       "pattern": "^[A-Za-z0-9_-]+$"},
                             description="The opaque cursor in `next` (400 "
                             "`invalid_cursor` for any other)."),
            OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": 100},
                             description="1–100 (25).")],
        responses={200: TimelineSerializer},
        description="The content around the clients this person relates to today, newest "
        "first: only the categories the access table (docs/access.md) gives them towards "
        "each client; per client the withheld ones under `not_authorised`. Messages of the "
        "threads they take part in. Categories the application cannot read (grant, "
        "feature) are under `not_available`.")
    @action(detail=True, methods=["get"], url_path="timeline")
    @raises("not_in_network", also=(timeline.timeline,))
    def timeline(self, request, pk=None):
        # Found without the list filters (which would refuse the timeline's parameters).
        viewer = get_object_or_404(self.get_queryset(), pk=pk)
        self.audited(viewer)
        if viewer.is_application or viewer.is_administrator or not viewer.authorisation:
            raise exceptions.ValidationError({"viewer": [exceptions.ErrorDetail(
                _("Application users and administrators have no timeline."),
                code="not_in_network")]})
        unknown = sorted(set(request.query_params) - set(TimelineQuerySerializer().fields))
        if unknown:
            raise exceptions.ValidationError({name: [exceptions.ErrorDetail(
                _("A query parameter this resource does not take."),
                code="unknown_parameter")] for name in unknown})
        empty = sorted(name for name, value in request.query_params.items() if value == "")
        if empty:  # as for every list: an empty value is a mistake, never "no filter"
            raise exceptions.ValidationError({name: [exceptions.ErrorDetail(
                _("An empty value is not allowed; leave the parameter out instead."),
                code="invalid_parameter")] for name in empty})
        query = TimelineQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise exceptions.ValidationError({name: [exceptions.ErrorDetail(
                str(e[0]), code="invalid_parameter")] for name, e in query.errors.items()})
        given = query.validated_data
        readable = {c for c in CONTENT if self.organization.has_feature(c)
                    and request.user.has_grant(for_action(c, safe=True))}
        page = timeline.timeline(viewer, client=given.get("client"),
                                 category=given.get("category"), after=given.get("after"),
                                 limit=given.get("page_size", 25), readable=readable)
        self.audited(*{User(pk=item["client"]) for item in page.items})
        next_url = None
        if page.after:
            params = request.query_params.copy()
            params["after"] = page.after
            next_url = request.build_absolute_uri(request.path) + "?" + params.urlencode()
        return Response({"viewer": viewer.pk, "results": page.items, "next": next_url,
                         "not_authorised": page.withheld,
                         "not_available": [c for c in CONTENT if c not in readable]})



from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins
from rest_framework.response import Response
from rest_framework.views import APIView

from omgeving.api.viewsets import (
    BulkUpsertMixin,
    ListModelMixin,
    OrganizationViewSet,
    UpsertMixin,
)
from omgeving.errors import raises

from .. import services
from ..grants import Grant
from ..models import User
from .filters import UserFilterSet
from .serializers import MeSerializer, UserListSerializer, UserSerializer

CONFLICT = {409: OpenApiResponse(description="conflict")}


@extend_schema_view(
    list=extend_schema(summary="List users", description=(
        "Users of this organisation, 25 per page by default. Active users only unless "
        "`is_active` says otherwise. Lists carry no BSN, phone or birth date."),
        parameters=[OpenApiParameter(
            "is_active", str, enum=["true", "false", "all"],
            description="`true` (the default when absent), `false`, or `all`.")]),
    retrieve=extend_schema(summary="Get one user"),
    create=extend_schema(summary="Create a user", responses={201: UserSerializer, **CONFLICT},
                         description="Creates a person with a care authorisation. The user has "
                         "no password; Administrator and Application users are made in the admin "
                         "(403 `role_not_assignable`)."),
    update=extend_schema(summary="Replace a user", responses={200: UserSerializer, **CONFLICT}),
    partial_update=extend_schema(summary="Change a user",
                                 responses={200: UserSerializer, **CONFLICT}),
    destroy=extend_schema(summary="Deactivate a user", description=(
        "Deactivates the user: `is_active` becomes false, the account can no longer log in and "
        "its tokens stop working. The person's data is kept. Repeating it changes nothing.")),
)
class UserViewSet(BulkUpsertMixin, UpsertMixin, OrganizationViewSet, ListModelMixin,
                  mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                  mixins.DestroyModelMixin):
    """The organisation's people: clients, professionals and relatives; administrators and
    applications are listed but managed in the admin."""

    model = User
    filterset_class = UserFilterSet
    grant_family = "users"
    field_grants = {"bsn": Grant.BSN}
    audit_resource = "users"
    audit_sensitive_fields = ("bsn", "date_of_birth")

    def get_base_queryset(self, queryset):
        return queryset.order_by("id")

    def get_serializer_class(self):
        return UserListSerializer if self.action == "list" else UserSerializer

    @raises(also=(services.deactivate_user_via_api,))
    def perform_destroy(self, instance):
        services.deactivate_user_via_api(instance)


class MeView(APIView):
    """The calling Application user: who it is, its organisation, its grants, its token."""

    @extend_schema(operation_id="me", summary="The calling application",
                   responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        user.organization = request.organization
        return Response(MeSerializer(user, context={"request": request}).data)

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from omgeving.accounts.models import User
from omgeving.api.schema import a, plural
from omgeving.api.viewsets import (
    BulkUpsertMixin,
    ListModelMixin,
    OrganizationViewSet,
    UpsertMixin,
)
from omgeving.errors import raises

from .. import access, care_status, invitations, services
from ..care_status import set_care_status as set_client_care_status
from ..models import (
    CareStatus,
    ClientCareStatus,
    Family,
    Group,
    GroupClient,
    GroupMember,
    Invitation,
    Relation,
    RelationType,
)
from .filters import (
    CareStatusFilterSet,
    FamilyFilterSet,
    GroupClientFilterSet,
    GroupFilterSet,
    GroupMemberFilterSet,
    InvitationFilterSet,
    RelationFilterSet,
    RelationTypeFilterSet,
)
from .serializers import (
    AccessSerializer,
    CareStatusHistorySerializer,
    CareStatusSerializer,
    ClientCareStatusSerializer,
    CreatedInvitationSerializer,
    FamilySerializer,
    GroupClientSerializer,
    GroupMemberSerializer,
    GroupSerializer,
    InvitationSerializer,
    InvitationTokenSerializer,
    NetworkSerializer,
    PersonSummarySerializer,
    RelationSerializer,
    RelationTypeSerializer,
    SetCareStatusSerializer,
)

CONFLICT = {409: OpenApiResponse(description="conflict")}
CRUD = (ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
        mixins.UpdateModelMixin, mixins.DestroyModelMixin)


def _crud_schema(noun: str, delete: str):
    """The summaries and answers of a CRUD viewset: writes answer the object (its
    serializer), and may conflict (409)."""

    def decorate(cls):
        answer = cls.serializer_class
        return extend_schema_view(
            list=extend_schema(summary=f"List {plural(noun)}"),
            retrieve=extend_schema(summary=f"Get one {noun}"),
            create=extend_schema(summary=f"Create {a(noun)}",
                                 responses={201: answer, **CONFLICT}),
            update=extend_schema(summary=f"Replace {a(noun)}",
                                 responses={200: answer, **CONFLICT}),
            partial_update=extend_schema(summary=f"Change {a(noun)}",
                                         responses={200: answer, **CONFLICT}),
            destroy=extend_schema(summary=f"Delete {a(noun)}", description=delete,
                                  responses={204: None, **CONFLICT}),
        )(cls)

    return decorate


@_crud_schema("relation type", "Deletes the relation type; 409 while relations use it.")
class RelationTypeViewSet(OrganizationViewSet, *CRUD):
    """The organisation's relation types (mother, teacher, GP, …)."""

    model = RelationType
    serializer_class = RelationTypeSerializer
    filterset_class = RelationTypeFilterSet
    grant_family = "relations"
    destroy_service = staticmethod(services.delete_relation_type)


@_crud_schema("relation", "Ends the relation: it gets yesterday as its end date and grants "
              "nothing from today; a relation that has not started yet is deleted (a "
              "tombstone: 410 at its address from then on). The history is kept.")
class RelationViewSet(BulkUpsertMixin, UpsertMixin, OrganizationViewSet, *CRUD):
    """Direct relations between a client and another person, under rules 1-3."""

    model = Relation
    serializer_class = RelationSerializer
    filterset_class = RelationFilterSet
    grant_family = "relations"
    destroy_service = staticmethod(services.end_or_remove)
    audit_resource = "relations"

    def get_base_queryset(self, queryset):
        return queryset.select_related("client", "person").order_by("id")

    def audit_subjects(self, relation):
        return [relation.client, relation.person]


@_crud_schema("group", "Deletes a group that never had members or clients; 409 `in_use` "
              "while it has memberships (ended ones included): end them — the group stays "
              "for the history.")
class GroupViewSet(UpsertMixin, OrganizationViewSet, *CRUD):
    """Groups (teams, locations): their members relate to all of their clients."""

    model = Group
    serializer_class = GroupSerializer
    filterset_class = GroupFilterSet
    grant_family = "relations"
    destroy_service = staticmethod(services.delete_group)
    audit_resource = "groups"  # which clients are in which team is their data too

    def audit_subjects(self, group):
        return [User(pk=pk) for pk in {*(m.user_id for m in group.members.all()),
                                       *(c.client_id for c in group.clients.all())}]

    def get_base_queryset(self, queryset):
        org = self.organization
        return queryset.prefetch_related(
            Prefetch("members", queryset=GroupMember.objects.for_organization(org)),
            Prefetch("clients", queryset=GroupClient.objects.for_organization(org)),
        ).order_by("id")


class MembershipViewSet(UpsertMixin, OrganizationViewSet, *CRUD):
    """Memberships of groups, each with a period; deleting ends them."""

    grant_family = "relations"
    destroy_service = staticmethod(services.end_or_remove)

    def get_base_queryset(self, queryset):
        return queryset.select_related(self.model.person_field, "group").order_by("id")

    def audit_subjects(self, entry):
        return [entry.person]


@_crud_schema("group membership", "Ends the membership (yesterday), or deletes it (a "
              "tombstone) when it has not started.")
class GroupMemberViewSet(MembershipViewSet):
    """Professionals' memberships of groups, each with a period."""

    model = GroupMember
    serializer_class = GroupMemberSerializer
    filterset_class = GroupMemberFilterSet
    audit_resource = "group-members"


@_crud_schema("group client", "Ends the client's group membership (yesterday), or "
              "deletes it (a tombstone) when it has not started.")
class GroupClientViewSet(MembershipViewSet):
    """Clients' memberships of groups, each with a period."""

    model = GroupClient
    serializer_class = GroupClientSerializer
    filterset_class = GroupClientFilterSet
    audit_resource = "group-clients"


class UserNetworkViewSet(OrganizationViewSet):
    """The computed network of a person, and who may see what of whom."""

    model = User
    grant_family = "relations"
    audit_resource = "network"

    def get_base_queryset(self, queryset):
        return queryset.order_by("id")

    @extend_schema(
        operation_id="users_network", summary="A person's network", responses={200:
                                                                          NetworkSerializer},
        description="For a client: everyone in their network, each with the path (direct, or "
        "the group) and its dates. For anyone else: their clients, each with the path and the "
        "rest of that client's network (the indirect relations). Active relations only.")
    @action(detail=True, methods=["get"], url_path="network")
    def network(self, request, pk=None):
        document, persons = access.network_document(
            self.get_object(), summarise=lambda p: PersonSummarySerializer(p).data)
        self.audited(*persons)  # a computed answer: the frame cannot see whom it shows
        return Response(document)

    @extend_schema(
        operation_id="users_access", summary="What a person may see of another",
        responses={200: AccessSerializer},
        description="For every category (identity, contact, birth date, BSN, network and "
        "the content categories): whether the viewer may see it of the subject, and why — the "
        "relation paths, with their dates. Categories not granted are listed under "
        "`not_authorised`: the portal says so explicitly. See docs/access.md.")
    @action(detail=True, methods=["get"], url_path="access/<id:subject_id>")
    def access(self, request, pk=None, subject_id=None):
        viewer = self.get_object()
        subject = self.get_queryset().filter(pk=subject_id).first()
        if subject is None:
            raise Http404
        self.audited(subject)
        result = access.may_see(viewer, subject)
        return Response({
            "viewer": viewer.pk, "subject": subject.pk, "categories": result.categories,
            "granted": result.granted,
            "not_authorised": [c for c, ok in result.categories.items() if not ok],
            "capabilities": result.capabilities, "reasons": result.reasons,
        })


# --- families, care status, invitations ---------------------------------------------------

@_crud_schema("family", "Deletes the family (the household grouping); its members stay.")
class FamilyViewSet(UpsertMixin, OrganizationViewSet, *CRUD):
    """Households: clients and relatives under one name and address."""

    model = Family
    serializer_class = FamilySerializer
    filterset_class = FamilyFilterSet
    grant_family = "families"
    feature = "families"
    audit_resource = "families"

    def audit_subjects(self, family):
        return list(family.member_users)


@_crud_schema("care status", "Deletes the status; 409 while clients have (had) it — set "
              "`is_active` to false instead.")
@extend_schema_view(list=extend_schema(summary="List care statuses", parameters=[
    OpenApiParameter("is_active", str, enum=["true", "false"])]))
class CareStatusViewSet(OrganizationViewSet, *CRUD):
    """The organisation's care statuses (waiting list, in care, aftercare, …)."""

    model = CareStatus
    serializer_class = CareStatusSerializer
    filterset_class = CareStatusFilterSet
    grant_family = "care_status"
    feature = "care_status"
    destroy_service = staticmethod(care_status.delete_care_status)


class UserCareStatusViewSet(OrganizationViewSet):
    """A client's current care status and its history."""

    model = User
    grant_family = "care_status"
    feature = "care_status"
    audit_resource = "care-status"
    audit_actions = {"set_care_status": "update"}

    def _answer(self, client, status_code=200):
        history = list(ClientCareStatus.objects.for_organization(self.organization)
                       .filter(client=client).select_related("status"))
        data = {"client": client.pk,
                "current": ClientCareStatusSerializer(history[0]).data if history else None,
                "history": ClientCareStatusSerializer(history, many=True).data}
        return Response(data, status=status_code)

    @extend_schema(operation_id="users_care_status_retrieve", summary="A client's care status",
                   responses={200: CareStatusHistorySerializer})
    @action(detail=True, methods=["get"], url_path="care-status")
    def care_status(self, request, pk=None):
        return self._answer(self.get_object())

    @extend_schema(operation_id="users_care_status_set", summary="Set a client's care status",
                   request=SetCareStatusSerializer,
                   responses={201: CareStatusHistorySerializer},
                   description="Appends to the history; the new status is current from now. "
                   "`set_by` is the Application user.")
    @care_status.mapping.post
    @raises(also=(set_client_care_status,))  # (`care_status` here is the action)
    def set_care_status(self, request, pk=None):
        client = self.get_object()
        serializer = SetCareStatusSerializer(data=request.data,
                                             context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        care_status.set_care_status(client, serializer.validated_data["status"], request.user)
        return self._answer(client, 201)


@extend_schema_view(
    list=extend_schema(summary="List invitations", description="`state` is computed: a "
                       "pending invitation past `expires_at` is `expired`."),
    retrieve=extend_schema(summary="Get one invitation"),
    create=extend_schema(summary="Invite", request=InvitationSerializer,
                         responses={201: CreatedInvitationSerializer},
                         description="`network`: invite a new person (email, names) or an "
                         "existing one (invitee) into `client`'s network with "
                         "`authorisation`. `client`: invite a new or existing client to relate "
                         "to `counselor` (an application names the counselor). The answer "
                         "carries the single-use link `token`, shown only now."),
)
class InvitationViewSet(OrganizationViewSet, ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin):
    """Invitations into a client's network, or of a client to a counselor."""

    model = Invitation
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilterSet
    grant_family = "invitations"
    feature = "invitations"
    audit_resource = "invitations"
    # Accepting creates the relation (and a new person); declining and revoking change it.
    audit_actions = {"accept": "create", "decline": "update", "revoke": "update"}

    def get_base_queryset(self, queryset):
        return queryset.order_by("id")

    def get_serializer_class(self):
        return CreatedInvitationSerializer if self.action == "create" else InvitationSerializer

    def audit_subjects(self, invitation):
        return [invitation.client, invitation.invitee]

    def _by_token(self, request, service):
        serializer = InvitationTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = service(self.organization, serializer.validated_data["token"])
        return Response(InvitationSerializer(invitation,
                                             context=self.get_serializer_context()).data)

    @extend_schema(summary="Accept an invitation", request=InvitationTokenSerializer,
                   responses={200: InvitationSerializer},
                   description="With the token from the link: creates the person if new and "
                   "the relation (with the invitation's authorisation and end date); the "
                   "token is then used up.")
    @action(detail=False, methods=["post"])
    @raises(also=(invitations.accept_invitation,))
    def accept(self, request):
        return self._by_token(request, invitations.accept_invitation)

    @extend_schema(summary="Decline an invitation", request=InvitationTokenSerializer,
                   responses={200: InvitationSerializer})
    @action(detail=False, methods=["post"])
    @raises(also=(invitations.decline_invitation,))
    def decline(self, request):
        return self._by_token(request, invitations.decline_invitation)

    @extend_schema(summary="Revoke a pending invitation", request=None,
                   responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"])
    @raises(also=(invitations.revoke_invitation,))
    def revoke(self, request, pk=None):
        invitation = invitations.revoke_invitation(self.get_object())
        return Response(InvitationSerializer(invitation,
                                             context=self.get_serializer_context()).data)

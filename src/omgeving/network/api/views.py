from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, ProtectedError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from omgeving.accounts.models import Role, User
from omgeving.accounts.services import ConflictError
from omgeving.api.viewsets import OrganizationViewSet

from .. import access, services
from ..models import Group, GroupClient, GroupMember, Relation, RelationType, today
from .filters import (
    GroupClientFilterSet,
    GroupFilterSet,
    GroupMemberFilterSet,
    RelationFilterSet,
    RelationTypeFilterSet,
)
from .serializers import (
    AccessSerializer,
    GroupClientSerializer,
    GroupMemberSerializer,
    GroupSerializer,
    NetworkSerializer,
    PersonSummarySerializer,
    RelationSerializer,
    RelationTypeSerializer,
)

CONFLICT = {409: OpenApiResponse(description="conflict")}
CRUD = (mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
        mixins.UpdateModelMixin, mixins.DestroyModelMixin)


def _crud_schema(noun: str, delete: str):
    return extend_schema_view(
        list=extend_schema(summary=f"List {noun}s"),
        retrieve=extend_schema(summary=f"Get one {noun}"),
        create=extend_schema(summary=f"Create a {noun}", responses={201: None, **CONFLICT}),
        update=extend_schema(summary=f"Replace a {noun}", responses={200: None, **CONFLICT}),
        partial_update=extend_schema(summary=f"Change a {noun}",
                                     responses={200: None, **CONFLICT}),
        destroy=extend_schema(summary=f"Delete a {noun}", description=delete,
                              responses={204: None, **CONFLICT}),
    )


class ServiceSaveMixin:
    """Writes go through the network services, which hold the rules."""

    save_service = None

    def perform_create(self, serializer):
        instance = serializer.Meta.model(organization=self.organization,
                                         **serializer.validated_data)
        serializer.instance = type(self).save_service(instance)
        self._audited(serializer.instance)

    def perform_update(self, serializer):
        for name, value in serializer.validated_data.items():
            setattr(serializer.instance, name, value)
        type(self).save_service(serializer.instance)


def _end_or_delete(obj):
    """Ending keeps history: a period that has started ends yesterday; one that has not
    started yet is removed."""
    yesterday = today() - datetime.timedelta(days=1)
    if obj.start_date > yesterday:
        obj.delete()
    elif obj.end_date is None or obj.end_date > yesterday:
        obj.end_date = yesterday
        obj.save(update_fields=["end_date", "modified"])


@_crud_schema("relation type", "Deletes the relation type; 409 while relations use it.")
class RelationTypeViewSet(OrganizationViewSet, *CRUD):
    model = RelationType
    serializer_class = RelationTypeSerializer
    filterset_class = RelationTypeFilterSet
    grant_family = "relations"

    def _check_name(self, serializer):
        name = serializer.validated_data.get("name")
        others = RelationType.objects.for_organization(self.organization).filter(name=name)
        if serializer.instance is not None:
            others = others.exclude(pk=serializer.instance.pk)
        if name and others.exists():
            raise ConflictError({"name": ValidationError(
                "A relation type with this name exists.", code="name_taken")})

    def perform_create(self, serializer):
        self._check_name(serializer)
        serializer.save(organization=self.organization)

    def perform_update(self, serializer):
        self._check_name(serializer)
        serializer.save()

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError as exc:
            raise ConflictError("Relations use this relation type.",
                                         code="in_use") from exc


@_crud_schema("relation", "Ends the relation: it gets yesterday as its end date and grants "
              "nothing from today; a relation that has not started yet is removed. The "
              "history is kept.")
class RelationViewSet(ServiceSaveMixin, OrganizationViewSet, *CRUD):
    model = Relation
    serializer_class = RelationSerializer
    filterset_class = RelationFilterSet
    grant_family = "relations"
    save_service = staticmethod(services.save_relation)
    audit_resource = "relations"

    def get_base_queryset(self, queryset):
        return queryset.select_related("client", "person").order_by("id")

    def audit_subjects(self, relation):
        return [relation.client, relation.person]

    def perform_destroy(self, instance):
        _end_or_delete(instance)


@_crud_schema("group", "Deletes the group with its memberships; 204.")
class GroupViewSet(OrganizationViewSet, *CRUD):
    model = Group
    serializer_class = GroupSerializer
    filterset_class = GroupFilterSet
    grant_family = "relations"

    def get_base_queryset(self, queryset):
        org = self.organization
        return queryset.prefetch_related(
            Prefetch("members", queryset=GroupMember.objects.for_organization(org)),
            Prefetch("clients", queryset=GroupClient.objects.for_organization(org)),
        ).order_by("id")

    def _check_unique(self, serializer):
        data = serializer.validated_data
        others = Group.objects.for_organization(self.organization)
        if serializer.instance is not None:
            others = others.exclude(pk=serializer.instance.pk)
        for field in ("name", "external_id"):
            if data.get(field) and others.filter(**{field: data[field]}).exists():
                raise ConflictError({field: ValidationError(
                    f"A group with this {field} exists.", code=f"{field}_taken")})

    def perform_create(self, serializer):
        self._check_unique(serializer)
        serializer.save(organization=self.organization)

    def perform_update(self, serializer):
        self._check_unique(serializer)
        serializer.save()



@_crud_schema("group membership", "Ends the membership (yesterday), or removes it when it "
              "has not started.")
class GroupMemberViewSet(ServiceSaveMixin, OrganizationViewSet, *CRUD):
    model = GroupMember
    serializer_class = GroupMemberSerializer
    filterset_class = GroupMemberFilterSet
    grant_family = "relations"
    save_service = staticmethod(services.save_group_member)
    audit_resource = "group-members"

    def get_base_queryset(self, queryset):
        return queryset.select_related("user", "group").order_by("id")

    def audit_subjects(self, member):
        return [member.user]

    def perform_destroy(self, instance):
        _end_or_delete(instance)


@_crud_schema("group client", "Ends the client's group membership (yesterday), or removes it "
              "when it has not started.")
class GroupClientViewSet(ServiceSaveMixin, OrganizationViewSet, *CRUD):
    model = GroupClient
    serializer_class = GroupClientSerializer
    filterset_class = GroupClientFilterSet
    grant_family = "relations"
    save_service = staticmethod(services.save_group_client)
    audit_resource = "group-clients"

    def get_base_queryset(self, queryset):
        return queryset.select_related("client", "group").order_by("id")

    def audit_subjects(self, entry):
        return [entry.client]

    def perform_destroy(self, instance):
        _end_or_delete(instance)




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
        user = self.get_object()
        persons = {user.pk: user}
        if user.authorisation == Role.CLIENT:
            own = {user.pk: [None]}
        else:
            own = {}
            for path in access.paths_of_person(user):
                own.setdefault(path.client_id, []).append(path)
        networks = {client_id: [p for p in access.paths_to_client(
            User(pk=client_id, organization=self.organization)) if p.person_id != user.pk]
            for client_id in own}
        ids = set(own) | {p.person_id for paths in networks.values() for p in paths}
        persons.update({p.pk: p for p in User.objects.for_organization(self.organization)
                        .filter(pk__in=ids)})
        self._audited(*persons.values())
        summary = {pk: PersonSummarySerializer(p).data for pk, p in persons.items()}
        clients = [
            {"client": summary[client_id], "path": path and path.as_dict(),
             "network": [{"person": summary[p.person_id], "path": p.as_dict()}
                         for p in networks[client_id]]}
            for client_id, paths in sorted(own.items()) for path in paths
        ]
        return Response({"user": summary[user.pk], "clients": clients})

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
        self._audited(subject)
        result = access.may_see(viewer, subject)
        return Response({
            "viewer": viewer.pk, "subject": subject.pk, "categories": result.categories,
            "granted": result.granted,
            "not_authorised": [c for c, ok in result.categories.items() if not ok],
            "capabilities": result.capabilities, "reasons": result.reasons,
        })

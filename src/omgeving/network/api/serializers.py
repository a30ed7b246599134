from __future__ import annotations

from rest_framework import serializers

from omgeving.accounts.api.serializers import OptionalEmailField
from omgeving.accounts.models import User
from omgeving.api.serializers import (
    ExternalIdField,
    ServiceWriteMixin,
    StrictModelSerializer,
    StrictSerializer,
)
from omgeving.errors import raises

from .. import care_status, families, invitations, services
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


class OrganizationScopedFields:
    """Related objects are looked up in the request's organisation only: an id of another
    organisation is 'does not exist', like an unknown id."""

    scoped = {}  # field name → model

    def get_fields(self):
        fields = super().get_fields()
        organization = self.context.get("organization")
        for name, model in self.scoped.items():
            if name in fields and not fields[name].read_only:
                fields[name].queryset = model.objects.for_organization(organization)
        return fields


class RelationTypeSerializer(ServiceWriteMixin, StrictModelSerializer):
    save_service = staticmethod(services.save_relation_type)
    external_id = ExternalIdField()

    class Meta:
        model = RelationType
        fields = ["id", "name", "external_id", "created", "modified", "deleted_at"]
        read_only_fields = ["id", "created", "modified", "deleted_at"]
        validators = []  # the name's uniqueness: the service answers 409


class RelationSerializer(ServiceWriteMixin, OrganizationScopedFields, StrictModelSerializer):
    save_service = staticmethod(services.save_relation)
    scoped = {"client": User, "person": User, "relation_type": RelationType}
    is_active = serializers.SerializerMethodField(
        help_text="Whether the relation grants anything today (end date inclusive).")
    external_id = ExternalIdField()

    class Meta:
        model = Relation
        fields = ["id", "client", "person", "authorisation", "relation_type", "start_date",
                  "end_date", "is_active", "external_id", "created", "modified", "deleted_at"]
        read_only_fields = ["id", "created", "modified", "deleted_at"]
        validators = []

    def get_is_active(self, relation) -> bool:
        return relation.active_on()


class GroupMemberSerializer(ServiceWriteMixin, OrganizationScopedFields, StrictModelSerializer):
    save_service = staticmethod(services.save_membership)
    scoped = {"group": Group, "user": User}
    external_id = ExternalIdField()

    class Meta:
        model = GroupMember
        fields = ["id", "group", "user", "role", "start_date", "end_date", "external_id",
                  "created", "modified", "deleted_at"]
        read_only_fields = ["id", "created", "modified", "deleted_at"]
        validators = []


class GroupClientSerializer(ServiceWriteMixin, OrganizationScopedFields, StrictModelSerializer):
    save_service = staticmethod(services.save_membership)
    scoped = {"group": Group, "client": User}
    external_id = ExternalIdField()

    class Meta:
        model = GroupClient
        fields = ["id", "group", "client", "start_date", "end_date", "external_id", "created",
                  "modified", "deleted_at"]
        read_only_fields = ["id", "created", "modified", "deleted_at"]
        validators = []


class GroupMemberInlineSerializer(serializers.ModelSerializer):
    class Meta:
        model = GroupMember
        fields = ["id", "user", "role", "start_date", "end_date"]
        read_only_fields = fields


class GroupClientInlineSerializer(serializers.ModelSerializer):
    class Meta:
        model = GroupClient
        fields = ["id", "client", "start_date", "end_date"]
        read_only_fields = fields


class GroupSerializer(ServiceWriteMixin, StrictModelSerializer):
    save_service = staticmethod(services.save_group)
    external_id = ExternalIdField()
    members = GroupMemberInlineSerializer(many=True, read_only=True,
                                          help_text="Memberships, ended ones included.")
    clients = GroupClientInlineSerializer(many=True, read_only=True,
                                          help_text="The group's clients, ended ones included.")

    class Meta:
        model = Group
        fields = ["id", "name", "kind", "external_id", "members", "clients", "created",
                  "modified", "deleted_at"]
        read_only_fields = ["id", "members", "clients", "created", "modified", "deleted_at"]
        validators = []


class PersonSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name", "first_name", "last_name", "authorisation"]


class PathSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    authorisation = serializers.CharField()
    via = serializers.ChoiceField(choices=["direct", "group"])
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    relation_id = serializers.IntegerField(allow_null=True)
    group_id = serializers.IntegerField(allow_null=True)
    group_name = serializers.CharField(allow_null=True)


class NetworkMemberSerializer(serializers.Serializer):
    person = PersonSummarySerializer()
    path = PathSerializer()


class ClientNetworkSerializer(serializers.Serializer):
    client = PersonSummarySerializer()
    path = PathSerializer(allow_null=True, help_text="The user's own path to this client; "
                          "null when the user is this client.")
    network = NetworkMemberSerializer(many=True, help_text="Everyone else in the client's "
                                      "network: for a non-client user, these are the "
                                      "indirect relations.")


class NetworkSerializer(serializers.Serializer):
    user = PersonSummarySerializer()
    clients = ClientNetworkSerializer(many=True)


class AccessSerializer(serializers.Serializer):
    viewer = serializers.IntegerField()
    subject = serializers.IntegerField()
    categories = serializers.DictField(child=serializers.BooleanField(),
                                       help_text="Every category: true when granted.")
    granted = serializers.ListField(child=serializers.CharField())
    not_authorised = serializers.ListField(
        child=serializers.CharField(),
        help_text="Categories the viewer is not authorised to see (JO says so explicitly).")
    capabilities = serializers.ListField(child=serializers.CharField())
    reasons = serializers.ListField(child=serializers.DictField(),
                                    help_text="The relation paths that grant access.")


# --- families, care status, invitations ---------------------------------------------------

class FamilySerializer(StrictModelSerializer):
    external_id = ExternalIdField()
    members = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=User.objects.none(), source="member_users",
        help_text="User ids of the household's members (clients and relatives). Sending the "
        "list replaces it.")

    class Meta:
        model = Family
        fields = ["id", "name", "street", "house_number", "postal_code", "city", "members",
                  "external_id", "created", "modified", "deleted_at"]
        read_only_fields = ["id", "created", "modified", "deleted_at"]
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        fields["members"].child_relation.queryset = User.objects.for_organization(
            self.context.get("organization"))
        return fields

    @raises(also=(families.save_family,))
    def create(self, validated_data):
        members = validated_data.pop("member_users", None)
        return families.save_family(
            Family(organization=self.context["organization"], **validated_data), members)

    @raises(also=(families.save_family,))
    def update(self, instance, validated_data):
        members = validated_data.pop("member_users", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return families.save_family(instance, members)


class CareStatusSerializer(ServiceWriteMixin, StrictModelSerializer):
    save_service = staticmethod(care_status.save_care_status)

    # Explicit bounds: left to the model field they would follow the database (SQLite's range
    # is wider than PostgreSQL's smallint) and the schema would differ per database.
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)

    class Meta:
        model = CareStatus
        fields = ["id", "name", "position", "is_active", "created", "modified", "deleted_at"]
        read_only_fields = ["id", "created", "modified", "deleted_at"]
        validators = []


class ClientCareStatusSerializer(serializers.ModelSerializer):
    status_name = serializers.CharField(source="status.name", read_only=True)

    class Meta:
        model = ClientCareStatus
        fields = ["id", "status", "status_name", "set_by", "set_at"]
        read_only_fields = fields


class CareStatusHistorySerializer(serializers.Serializer):
    client = serializers.IntegerField()
    current = ClientCareStatusSerializer(allow_null=True)
    history = ClientCareStatusSerializer(many=True, help_text="Newest first.")


class SetCareStatusSerializer(OrganizationScopedFields, StrictSerializer):
    scoped = {"status": CareStatus}
    status = serializers.PrimaryKeyRelatedField(queryset=CareStatus.objects.none())


class InvitationSerializer(OrganizationScopedFields, StrictModelSerializer):
    scoped = {"client": User, "counselor": User, "invitee": User,
              "relation_type": RelationType}
    state = serializers.CharField(source="effective_state", read_only=True)
    email = OptionalEmailField(required=False)

    class Meta:
        model = Invitation
        fields = ["id", "kind", "client", "counselor", "invitee", "email", "first_name",
                  "last_name", "authorisation", "relation_type", "end_date", "invited_by",
                  "state", "expires_at", "responded_at", "relation", "created", "modified"]
        read_only_fields = ["id", "invited_by", "state", "expires_at", "responded_at",
                            "relation", "created", "modified"]


class CreatedInvitationSerializer(InvitationSerializer):
    token = serializers.CharField(read_only=True, help_text="The single-use link token, "
                                  "shown only now; it goes into the link the invitee opens.")

    @raises(also=(invitations.create_invitation,))
    def create(self, validated_data):
        invitation, token = invitations.create_invitation(Invitation(
            organization=self.context["organization"], invited_by=self.context["actor"],
            **validated_data))
        invitation.token = token  # shown in this answer only; stored as a hash
        return invitation

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "token"]
        read_only_fields = [*InvitationSerializer.Meta.read_only_fields, "token"]


class InvitationTokenSerializer(StrictSerializer):
    token = serializers.CharField(max_length=200, help_text="The token from the invitation "
                                  "link.")

from __future__ import annotations

from rest_framework import serializers

from omgeving.accounts.models import User
from omgeving.api.serializers import ExternalIdField, StrictModelSerializer

from ..models import Group, GroupClient, GroupMember, Relation, RelationType


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


class RelationTypeSerializer(StrictModelSerializer):
    external_id = ExternalIdField()
    class Meta:
        model = RelationType
        fields = ["id", "name", "external_id", "created", "modified"]
        read_only_fields = ["id", "created", "modified"]
        validators = []  # the name's uniqueness: the view answers 409


class RelationSerializer(OrganizationScopedFields, StrictModelSerializer):
    scoped = {"client": User, "person": User, "relation_type": RelationType}
    is_active = serializers.SerializerMethodField(
        help_text="Whether the relation grants anything today (end date inclusive).")
    external_id = ExternalIdField()

    class Meta:
        model = Relation
        fields = ["id", "client", "person", "authorisation", "relation_type", "start_date",
                  "end_date", "is_active", "external_id", "created", "modified"]
        read_only_fields = ["id", "created", "modified"]
        validators = []

    def get_is_active(self, relation) -> bool:
        return relation.active_on()


class GroupMemberSerializer(OrganizationScopedFields, StrictModelSerializer):
    scoped = {"group": Group, "user": User}

    class Meta:
        model = GroupMember
        fields = ["id", "group", "user", "role", "start_date", "end_date", "created",
                  "modified"]
        read_only_fields = ["id", "created", "modified"]


class GroupClientSerializer(OrganizationScopedFields, StrictModelSerializer):
    scoped = {"group": Group, "client": User}

    class Meta:
        model = GroupClient
        fields = ["id", "group", "client", "start_date", "end_date", "created", "modified"]
        read_only_fields = ["id", "created", "modified"]


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


class GroupSerializer(StrictModelSerializer):
    external_id = ExternalIdField()
    members = GroupMemberInlineSerializer(many=True, read_only=True,
                                          help_text="Memberships, ended ones included.")
    clients = GroupClientInlineSerializer(many=True, read_only=True,
                                          help_text="The group's clients, ended ones included.")

    class Meta:
        model = Group
        fields = ["id", "name", "kind", "external_id", "members", "clients", "created",
                  "modified"]
        read_only_fields = ["id", "members", "clients", "created", "modified"]
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

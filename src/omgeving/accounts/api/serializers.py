from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from omgeving.api.serializers import (
    ExternalIdField,
    RowsSerializerMixin,
    StrictModelSerializer,
)
from omgeving.errors import raises

from .. import services
from ..grants import Grant
from ..models import Role, User
from ..validators import validate_bsn

LIST_FIELDS = [
    "id", "username", "first_name", "last_name", "display_name", "email", "roles",
    "external_id", "is_active", "modified",
]
DETAIL_FIELDS = [*LIST_FIELDS, "phone", "date_of_birth", "bsn", "date_joined"]


# Each branch typed: without `type` in the branches generators typed the field as Any.
@extend_schema_field({"anyOf": [{"type": "string", "format": "email", "maxLength": 254},
                                {"type": "string", "maxLength": 0}],
                      "description": "An e-mail address, or empty."})
class OptionalEmailField(serializers.Field):
    """E-mail is optional; the schema says so: an address or the empty string."""

    default_error_messages = {"invalid": "Enter a valid e-mail address, or an empty string."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 254:
            self.fail("invalid")
        if data:
            try:
                validate_email(data)
            except DjangoValidationError:
                self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "string", "pattern": "^([0-9]{9})?$", "minLength": 0, "maxLength": 9,
                     "description": "Citizen service number: nine digits passing the "
                     "eleven-test, or empty. Only with the `bsn` grant."})
class BsnField(serializers.Field):
    """Nine digits passing the eleven-test, or "" for none."""

    default_error_messages = {"invalid": "A BSN is a string of nine digits, or empty."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or (data and not (len(data) == 9 and data.isdigit())):
            self.fail("invalid")
        if data:
            try:
                validate_bsn(data)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages, code="invalid_bsn") from exc
        return data

    def to_representation(self, value):
        return value


class UserListSerializer(RowsSerializerMixin, serializers.ModelSerializer):
    """Lists carry no BSN, birth date or phone number (data minimisation)."""

    row_sources = {"roles": (User.ROLE_COLUMNS, lambda row: User.roles_of(
        *(row[column] for column in User.ROLE_COLUMNS)))}

    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices),
                                  read_only=True)
    email = OptionalEmailField(read_only=True)

    class Meta:
        model = User
        fields = LIST_FIELDS
        read_only_fields = fields


class UserSerializer(StrictModelSerializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=False, min_length=1,
        help_text="Role types. Through the API only care authorisations (one of CLIENT, "
        "COUNSELOR, COUNSELOR_PLUS, GUARDIAN, EXTERNAL) can be given; Administrator and "
        "Application users are managed in the admin.",
    )
    email = OptionalEmailField(required=False)
    bsn = BsnField(required=False)
    external_id = ExternalIdField()

    class Meta:
        model = User
        fields = DETAIL_FIELDS
        read_only_fields = ["id", "modified", "date_joined"]
        extra_kwargs = {"username": {"validators": []}}  # uniqueness: the service, as 409

    def validate_roles(self, roles):
        services.role_fields(roles)  # combination rules → 400 with the rule's code
        return roles

    @raises(also=(services.create_user_via_api,))
    def create(self, validated_data):
        return services.create_user_via_api(organization=self.context["organization"],
                                            **validated_data)

    @raises(also=(services.create_users_via_api,))
    def create_many(self, validated: list[dict]) -> list:
        """New persons of a bulk request, at once (see BulkUpsertMixin)."""
        return services.create_users_via_api(self.context["organization"], validated)

    @raises(also=(services.update_user_via_api,))
    def update(self, instance, validated_data):
        return services.update_user_via_api(instance, **validated_data)


class MeSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    grants = serializers.ListField(child=serializers.ChoiceField(choices=Grant.choices),
                                   read_only=True)
    token = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "organization", "roles", "grants", "token"]

    @extend_schema_field({"type": "object", "properties": {
        "exp": {"type": "integer"}, "orig_iat": {"type": "integer"}}})
    def get_token(self, user):
        claims = self.context["request"].auth
        return {"exp": claims["exp"], "orig_iat": claims["orig_iat"]}

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from omgeving.api.serializers import StrictSerializer


class CredentialsSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False,
                                     style={"input_type": "password"})


class RefreshSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150, required=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, required=False,
                                     style={"input_type": "password"})
    token = serializers.CharField(max_length=4096, required=False,
                                  help_text="A still-valid token (alternative to username and "
                                  "password).")

    def validate(self, attrs):
        if "token" in attrs:
            if "username" in attrs or "password" in attrs:
                raise serializers.ValidationError(
                    _("Send either username and password, or token; not both."),
                    code="ambiguous_credentials")
            return attrs
        missing = [f for f in ("username", "password") if f not in attrs]
        if missing:
            raise serializers.ValidationError(
                {f: [serializers.ErrorDetail(_("This field is required (or send 'token')."),
                                             code="required")] for f in missing})
        return attrs


class VerifySerializer(StrictSerializer):
    token = serializers.CharField(max_length=4096)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The JSON Web Token; send it as `JWT <token>`.")
    token_type = serializers.ChoiceField(choices=["JWT"])
    expires_in = serializers.IntegerField(help_text="Seconds until the token expires (300).")


class ClaimsSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    org = serializers.CharField(help_text="The organisation's slug.")
    iss = serializers.CharField(help_text="The organisation's host.")
    aud = serializers.CharField(help_text="The organisation's host.")
    iat = serializers.IntegerField()
    exp = serializers.IntegerField()
    jti = serializers.CharField()
    orig_iat = serializers.IntegerField(help_text="Time of the username/password login.")
    ver = serializers.IntegerField(help_text="The user's token version.")


class VerifiedSerializer(serializers.Serializer):
    token = serializers.CharField()
    claims = ClaimsSerializer()

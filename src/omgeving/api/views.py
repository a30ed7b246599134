from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


class ApiRootView(APIView):
    """Where things are. No data; answers without a token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="api_root", summary="API root",
        responses={200: inline_serializer("ApiRoot", {
            "organization": serializers.CharField(),
            "links": serializers.DictField(child=serializers.URLField()),
        })},
    )
    def get(self, request):
        names = {
            "token_auth": "token-auth", "token_refresh": "token-refresh",
            "token_verify": "token-verify", "me": "me", "users": "user-list", "schema": "schema",
            "docs": "docs",
        }
        return Response({
            "organization": request.organization.slug,
            "links": {key: reverse(name, request=request) for key, name in names.items()},
        })


class LiveSchemaView(SpectacularAPIView):
    """The schema as this host serves it: its only server is the host that answered, so
    "Try it out" on /api/docs/ calls this organisation at any domain, inside the page's CSP
    (`connect-src 'self'`). The committed docs/openapi.yaml keeps the templated
    `https://{organization}.example.org`."""

    def _get_schema_response(self, request):
        response = super()._get_schema_response(request)
        response.data["servers"] = [{"url": request.build_absolute_uri("/").rstrip("/"),
                                     "description": "this organisation"}]
        return response

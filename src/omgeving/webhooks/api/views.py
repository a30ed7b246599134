from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from omgeving.api.viewsets import ListModelMixin, OrganizationViewSet
from omgeving.errors import raises

from .. import services
from ..models import Webhook, WebhookDelivery
from .serializers import WebhookDeliverySerializer, WebhookSecretSerializer, WebhookSerializer


@extend_schema_view(
    list=extend_schema(summary="List the application's webhooks"),
    create=extend_schema(summary="Subscribe a webhook (the signing secret is shown once)"),
    retrieve=extend_schema(summary="Get one webhook"),
    partial_update=extend_schema(summary="Change a webhook (URL, events, description, on/off)"),
    destroy=extend_schema(summary="Delete a webhook"),
)
class WebhookViewSet(OrganizationViewSet, ListModelMixin, mixins.RetrieveModelMixin,
                     mixins.CreateModelMixin, mixins.UpdateModelMixin,
                     mixins.DestroyModelMixin):
    """The application's own webhook subscriptions (another application's do not exist for
    it)."""

    model = Webhook
    serializer_class = WebhookSerializer
    required_grant = "webhooks"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_base_queryset(self, queryset):
        return queryset.filter(owner=self.request.user).order_by("id")

    def get_serializer_class(self):
        if self.action in ("create", "rotate_secret"):
            return WebhookSecretSerializer
        return WebhookSerializer

    @extend_schema(summary="Rotate the signing secret", request=None,
                   responses={200: WebhookSecretSerializer},
                   description="A new secret, shown once in this answer. For 24 hours every "
                   "message carries a signature with the old secret too (`webhook-signature` "
                   "holds both), so the receiver can switch over without losing an event.")
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        with transaction.atomic():
            webhook = services.rotate_secret(self.get_object())
        return Response(WebhookSecretSerializer(webhook,
                                                context=self.get_serializer_context()).data)

    @extend_schema(summary="Send a ping", request=None,
                   responses={202: WebhookDeliverySerializer},
                   description="Queues a `webhook.ping` event for this webhook, delivered "
                   "once by the worker beside the feed's events; follow its outcome in "
                   "GET …/deliveries/.")
    @action(detail=True, methods=["post"])
    @raises(also=(services.ping,))
    def ping(self, request, pk=None):
        delivery = services.ping(self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=202)


@extend_schema_view(list=extend_schema(summary="List a webhook's deliveries, newest first"))
class WebhookDeliveryViewSet(OrganizationViewSet, ListModelMixin):
    """What was sent to one of the application's webhooks, newest first: attempts, the last
    status code, duration and error, and when the next retry is due."""

    model = WebhookDelivery
    serializer_class = WebhookDeliverySerializer
    required_grant = "webhooks"

    def get_base_queryset(self, queryset):
        return queryset.filter(webhook__owner=self.request.user,
                               webhook_id=self.kwargs["webhook_pk"]).order_by("-id")

    def list(self, request, *args, **kwargs):
        self._webhook()  # 404 for a webhook that is not the application's
        return super().list(request, *args, **kwargs)

    def _webhook(self):
        from django.shortcuts import get_object_or_404

        return get_object_or_404(Webhook.objects.for_organization(self.organization),
                                 pk=self.kwargs["webhook_pk"], owner=self.request.user)

    @extend_schema(summary="Deliver an event again", request=None,
                   responses={202: WebhookDeliverySerializer},
                   description="Queues the same event (same `webhook-id`) once more, beside "
                   "the feed's order; a receiver that already has it can tell by the id.")
    @action(detail=True, methods=["post"])
    @raises(also=(services.redeliver,))
    def redeliver(self, request, webhook_pk=None, pk=None):
        delivery = services.redeliver(self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=202)

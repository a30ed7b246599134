from django.contrib import admin
from django.urls import include, path, register_converter
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from omgeving.accounts.api.views import MeView, UserViewSet
from omgeving.api.converters import IdConverter
from omgeving.api.views import ApiRootView, LiveSchemaView
from omgeving.audit.api.views import AccessLogViewSet
from omgeving.care.api.views import (
    AppointmentViewSet,
    DocumentViewSet,
    GoalProgressViewSet,
    GoalViewSet,
    MessageThreadViewSet,
    MessageViewSet,
    ReportViewSet,
    ThreadMessageViewSet,
    UserTimelineViewSet,
)
from omgeving.changes.api.views import ChangesView
from omgeving.network.api.views import (
    CareStatusViewSet,
    FamilyViewSet,
    GroupClientViewSet,
    GroupMemberViewSet,
    GroupViewSet,
    InvitationViewSet,
    RelationTypeViewSet,
    RelationViewSet,
    UserCareStatusViewSet,
    UserNetworkViewSet,
)
from omgeving.tokens.api.views import TokenObtainView, TokenRefreshView, TokenVerifyView
from omgeving.webhooks.api.views import WebhookDeliveryViewSet, WebhookViewSet

register_converter(IdConverter, "id")


def legacy(view, operation_id):
    """The same view under the original library's path, marked deprecated in the schema."""
    subclass = type(f"Legacy{view.__name__}", (view,), {})
    return extend_schema_view(post=extend_schema(operation_id=operation_id, deprecated=True))(
        subclass
    ).as_view()


router = SimpleRouter(use_regex_path=False)
router.register("users", UserViewSet, basename="user")
router.register("users", UserNetworkViewSet, basename="user-network")
router.register("relation-types", RelationTypeViewSet, basename="relation-type")
router.register("relations", RelationViewSet, basename="relation")
router.register("groups", GroupViewSet, basename="group")
router.register("group-members", GroupMemberViewSet, basename="group-member")
router.register("group-clients", GroupClientViewSet, basename="group-client")
router.register("families", FamilyViewSet, basename="family")
router.register("care-statuses", CareStatusViewSet, basename="care-status")
router.register("users", UserCareStatusViewSet, basename="user-care-status")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("access-log", AccessLogViewSet, basename="access-log")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("webhooks/<id:webhook_pk>/deliveries", WebhookDeliveryViewSet,
                basename="webhook-delivery")
router.register("message-threads", MessageThreadViewSet, basename="message-thread")
router.register("message-threads/<id:thread_pk>/messages", ThreadMessageViewSet,
                basename="thread-message")
router.register("messages", MessageViewSet, basename="message")
router.register("appointments", AppointmentViewSet, basename="appointment")
router.register("goals", GoalViewSet, basename="goal")
router.register("goals/<id:goal_pk>/progress", GoalProgressViewSet, basename="goal-progress")
router.register("reports", ReportViewSet, basename="report")
router.register("documents", DocumentViewSet, basename="document")
router.register("users", UserTimelineViewSet, basename="user-timeline")

api_patterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("token-auth/", TokenObtainView.as_view(), name="token-auth"),
    path("token-refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("token-verify/", TokenVerifyView.as_view(), name="token-verify"),
    # The paths of the original djangorestframework-jwt set-up, kept for old integrations.
    path("api-token-auth/", legacy(TokenObtainView, "legacy_token_auth"),
         name="legacy-token-auth"),
    path("api-token-refresh/", legacy(TokenRefreshView, "legacy_token_refresh"),
         name="legacy-token-refresh"),
    path("me/", MeView.as_view(), name="me"),
    path("changes/", ChangesView.as_view(), name="changes"),
    path("schema/", LiveSchemaView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the CSP needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    *router.urls,
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
]

handler400 = "omgeving.api.errors.handler400"
handler404 = "omgeving.api.errors.handler404"
handler500 = "omgeving.api.errors.handler500"

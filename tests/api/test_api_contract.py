"""Every API route gets the generic cases of tests/api/api_cases.py; a meta-test makes sure."""

from __future__ import annotations

import datetime

import pytest
from django.urls import get_resolver

from omgeving.accounts.grants import Grant
from omgeving.accounts.models import Role
from omgeving.network import families, invitations
from omgeving.network import services as network
from omgeving.network.models import (
    CareStatus,
    Family,
    Group,
    GroupClient,
    GroupMember,
    Invitation,
    Relation,
    RelationType,
    today,
)

from ..helpers import make_app, make_person
from .api_cases import (
    ActionBodyCases,
    ActionCases,
    ActionFeatureCases,
    CursorCases,
    DetailCases,
    FeatureCases,
    ResourceCases,
    UpsertCases,
    WriteCases,
)

# Routes without generic cases, and the tests that cover them instead.
EXEMPT = {
    "api-root": "tests/api/test_openapi.py (no token needed, no data)",
    "token-auth": "tests/tokens/test_tokens.py, tests/accounts/test_lockout.py",
    "token-refresh": "tests/tokens/test_tokens.py",
    "token-verify": "tests/tokens/test_tokens.py",
    "legacy-token-auth": "tests/tokens/test_tokens.py (parametrised over both paths)",
    "legacy-token-refresh": "tests/tokens/test_tokens.py (parametrised over both paths)",
    "schema": "tests/api/test_openapi.py (public documentation)",
    "docs": "tests/api/test_openapi.py, tests/browser/test_docs.py (public documentation)",
    "user-bulk": "tests/api/test_bulk.py (grants, items), tests/api/test_cross_organisation.py",
    "relation-bulk": "tests/api/test_bulk.py, tests/api/test_cross_organisation.py",
}


def _counter():
    n = 0
    while True:
        n += 1
        yield n


_n = _counter()


def person(org, role=Role.CLIENT):
    return make_person(org, f"p{next(_n)}", role)


def relation(org):
    return network.save_relation(Relation(organization=org, client=person(org),
                                          person=person(org, Role.GUARDIAN),
                                          authorisation="GUARDIAN"))


def group(org):
    return Group.objects.create(organization=org, name=f"Team {next(_n)}")


class TestUsers(ResourceCases, CursorCases, DetailCases, WriteCases):
    routes = ("user-list", "user-detail")
    list_path, detail_path = "/api/users/", "/api/users/{id}/"
    grant, write_grant = "users:read", "users:write"

    def make(self, org):
        return person(org)

    def create_body(self, org):
        return {"username": f"new{next(_n)}", "roles": ["CLIENT"]}


class TestUserNetwork(ResourceCases, DetailCases):
    routes = ("user-network-network",)
    detail_path = "/api/users/{id}/network/"
    grant = "relations:read"

    def make(self, org):
        return relation(org).client


class TestUserAccess(ResourceCases, DetailCases):
    routes = ("user-network-access",)
    detail_path = "/api/users/{id}/access/{id}/"  # oneself: every category
    grant = "relations:read"

    def make(self, org):
        return person(org)


class TestMe(ResourceCases):
    routes = ("me",)
    list_path = "/api/me/"

    @pytest.mark.django_db
    def test_missing_grant_is_403(self, org_a):
        """/api/me/ needs no grant: an application may always see itself."""
        response = self.app_client(org_a, grants=[]).get(self.list_path)
        assert response.status_code == 200 and response.json()["grants"] == []


class TestChanges(ResourceCases):
    routes = ("changes",)
    list_path = "/api/changes/"

    def make(self, org):
        return person(org)

    @pytest.mark.django_db
    def test_missing_grant_is_403(self, org_a):
        """The feed needs no grant of its own: it shows what the application may read, and
        an application that may read nothing is refused (its cursor would count the
        organisation's activity)."""
        self.make(org_a)
        response = self.app_client(org_a, grants=[]).get(self.list_path)
        assert response.status_code == 403 and response.json()["code"] == "missing_grant"
        reader = self.app_client(org_a, grants=["goals:read"], username="goals")
        response = reader.get(self.list_path)
        assert response.status_code == 200 and response.json()["results"] == []


class TestRelationTypes(ResourceCases, CursorCases, DetailCases, WriteCases):
    routes = ("relation-type-list", "relation-type-detail")
    list_path, detail_path = "/api/relation-types/", "/api/relation-types/{id}/"
    grant, write_grant = "relations:read", "relations:write"

    def make(self, org):
        return RelationType.objects.create(organization=org, name=f"type {next(_n)}")

    def create_body(self, org):
        return {"name": f"mentor {next(_n)}"}


class TestRelations(ResourceCases, CursorCases, DetailCases, WriteCases):
    routes = ("relation-list", "relation-detail")
    list_path, detail_path = "/api/relations/", "/api/relations/{id}/"
    grant, write_grant = "relations:read", "relations:write"

    def make(self, org):
        return relation(org)

    def create_body(self, org):
        return {"client": person(org).pk, "person": person(org, Role.COUNSELOR).pk,
                "authorisation": "COUNSELOR"}


class TestGroups(ResourceCases, CursorCases, DetailCases, WriteCases):
    routes = ("group-list", "group-detail")
    list_path, detail_path = "/api/groups/", "/api/groups/{id}/"
    grant, write_grant = "relations:read", "relations:write"

    def make(self, org):
        made = group(org)  # with a member and a client: a group read shows persons
        network.save_membership(GroupMember(organization=org, group=made,
                                            user=person(org, Role.COUNSELOR)))
        network.save_membership(GroupClient(organization=org, group=made, client=person(org)))
        return made

    def create_body(self, org):
        return {"name": f"Team {next(_n)}", "kind": "location"}


class TestGroupMembers(ResourceCases, CursorCases, DetailCases, WriteCases):
    routes = ("group-member-list", "group-member-detail")
    list_path, detail_path = "/api/group-members/", "/api/group-members/{id}/"
    grant, write_grant = "relations:read", "relations:write"

    def make(self, org):
        return network.save_membership(GroupMember(
            organization=org, group=group(org), user=person(org, Role.COUNSELOR)))

    def create_body(self, org):
        return {"group": group(org).pk, "user": person(org, Role.COUNSELOR_PLUS).pk,
                "role": "COUNSELOR_PLUS"}


class TestGroupClients(ResourceCases, CursorCases, DetailCases, WriteCases):
    routes = ("group-client-list", "group-client-detail")
    list_path, detail_path = "/api/group-clients/", "/api/group-clients/{id}/"
    grant, write_grant = "relations:read", "relations:write"

    def make(self, org):
        return network.save_membership(GroupClient(
            organization=org, group=group(org), client=person(org),
            start_date=today() - datetime.timedelta(days=3)))

    def create_body(self, org):
        return {"group": group(org).pk, "client": person(org).pk}


class TestAccessLog(ResourceCases, CursorCases, DetailCases):
    routes = ("access-log-list", "access-log-detail")
    list_path, detail_path = "/api/access-log/", "/api/access-log/{id}/"
    grant = "audit"
    read_adds_rows = True

    def make(self, org):
        from omgeving.audit.models import AccessLogEntry

        return AccessLogEntry.objects.create(
            organization=org, actor_username="x", resource="users", action="read",
            method="GET", path="/api/users/", status=200, subject=person(org))


def enabled(org, feature):
    setattr(org, f"feature_{feature}", True)
    org.save()
    return org


def made_with_feature(org, feature, make):
    """Make an object that needs the feature, leaving the feature as it was."""
    was = getattr(org, f"feature_{feature}")
    obj = make(enabled(org, feature))
    setattr(org, f"feature_{feature}", was)
    org.save()
    return obj


def invitation(org):
    inviter = make_app(org, username=f"inviter{next(_n)}")
    made, _ = invitations.create_invitation(Invitation(
        organization=org, kind="network", client=person(org), email="new@example.org",
        authorisation="GUARDIAN", invited_by=inviter))
    return made


class TestFamilies(ResourceCases, CursorCases, DetailCases, WriteCases, FeatureCases):
    routes = ("family-list", "family-detail")
    list_path, detail_path = "/api/families/", "/api/families/{id}/"
    grant, write_grant = "families:read", "families:write"
    feature = "families"

    def make(self, org):
        return made_with_feature(org, "families", lambda org: families.save_family(
            Family(organization=org, name=f"Fam {next(_n)}"), [person(org)]))

    def create_body(self, org):
        return {"name": "De Vries", "city": "Utrecht", "members": [person(org).pk]}


class TestCareStatuses(ResourceCases, CursorCases, DetailCases, WriteCases, FeatureCases):
    routes = ("care-status-list", "care-status-detail")
    list_path, detail_path = "/api/care-statuses/", "/api/care-statuses/{id}/"
    grant, write_grant = "care_status:read", "care_status:write"
    feature = "care_status"

    def make(self, org):
        return CareStatus.objects.create(organization=org, name=f"status {next(_n)}")

    def create_body(self, org):
        return {"name": f"wachtlijst {next(_n)}"}


class TestUserCareStatus(ResourceCases, DetailCases, FeatureCases):
    routes = ("user-care-status-care-status",)
    detail_path = "/api/users/{id}/care-status/"
    grant, write_grant = "care_status:read", "care_status:write"
    feature = "care_status"

    def make(self, org):
        return person(org)


class TestInvitations(ResourceCases, CursorCases, DetailCases, WriteCases, FeatureCases):
    routes = ("invitation-list", "invitation-detail")
    list_path, detail_path = "/api/invitations/", "/api/invitations/{id}/"
    grant, write_grant = "invitations:read", "invitations:write"
    feature = "invitations"

    def make(self, org):
        return made_with_feature(org, "invitations", invitation)

    def create_body(self, org):
        return {"kind": "network", "client": person(org).pk, "email": "mother@example.org",
                "authorisation": "GUARDIAN"}


class TestInvitationAccept(ActionCases, ActionFeatureCases, ActionBodyCases):
    routes = ("invitation-accept",)
    path, grant, feature = "/api/invitations/accept/", "invitations:write", "invitations"
    body = {"token": "not-a-real-token"}


class TestInvitationDecline(ActionCases, ActionFeatureCases, ActionBodyCases):
    routes = ("invitation-decline",)
    path, grant, feature = "/api/invitations/decline/", "invitations:write", "invitations"
    body = {"token": "not-a-real-token"}


class TestInvitationRevoke(ActionCases, ActionFeatureCases):
    routes = ("invitation-revoke",)
    path, grant, feature = "/api/invitations/{id}/revoke/", "invitations:write", "invitations"

    def make(self, org):
        return made_with_feature(org, "invitations", invitation)


class WebhookOwner:
    """Webhooks exist only for the application that made them: the objects the generic cases
    make belong to the application their client calls as."""

    def owner(self, org):
        from omgeving.accounts.models import User

        return User.objects.for_organization(org).filter(username="generic").first() or \
            make_app(org, username="generic")

    def app_client(self, org, grants=tuple(Grant.values), username="generic"):
        from omgeving.tokens.services import issue_token

        from ..helpers import client_for

        if username != "generic":
            return ResourceCases.app_client(self, org, grants, username)
        user = self.owner(org)
        user.grants = list(grants)
        user.save(update_fields=["grants"])
        return client_for(org, issue_token(user).token)

    def make(self, org):
        return webhook(org, self.owner(org))


def webhook(org, owner):
    from omgeving.webhooks.models import Webhook

    return Webhook.objects.create(organization=org, owner=owner, url="https://93.184.216.34/",
                                  events=["users.*"], secret="whsec_" + "A" * 43 + "=")


class TestWebhooks(WebhookOwner, ResourceCases, CursorCases, DetailCases):
    routes = ("webhook-list", "webhook-detail")
    list_path, detail_path = "/api/webhooks/", "/api/webhooks/{id}/"
    grant = "webhooks"


class TestWebhookDeliveries(WebhookOwner, ResourceCases, CursorCases):
    routes = ("webhook-delivery-list",)
    grant = "webhooks"
    hook = None

    @property
    def list_path(self):
        return f"/api/webhooks/{self.hook.pk if self.hook else 1}/deliveries/"

    def the_hook(self, org):
        if self.hook is None or self.hook.organization_id != org.pk:
            self.hook = webhook(org, self.owner(org))
        return self.hook

    def paths(self, org):
        self.the_hook(org)
        return [self.list_path]

    def make(self, org):
        from omgeving.webhooks import services

        return services.ping(self.the_hook(org))


class TestWebhookPing(WebhookOwner, ActionCases):
    routes = ("webhook-ping",)
    path, grant = "/api/webhooks/{id}/ping/", "webhooks"


class TestWebhookRotateSecret(WebhookOwner, ActionCases):
    routes = ("webhook-rotate-secret",)
    path, grant = "/api/webhooks/{id}/rotate-secret/", "webhooks"


class TestWebhookRedeliver(WebhookOwner, ActionCases):
    routes = ("webhook-delivery-redeliver",)
    grant = "webhooks"

    def url(self, org):
        from omgeving.webhooks import services

        delivery = services.ping(WebhookOwner.make(self, org))
        return f"/api/webhooks/{delivery.webhook_id}/deliveries/{delivery.pk}/redeliver/"


# --- content around a client (omgeving.care) ----------------------------------------------

def content(org, kind):
    """A content object in `org`, written on behalf of a client about themselves (a client
    may write every category of their own, a diary rather than a report)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from omgeving.care import models as care
    from omgeving.care import services as care_services

    client = person(org)
    base = {"organization": org, "client": client, "author": client}
    soon = timezone.now() + datetime.timedelta(days=1)
    if kind == "thread":
        return care_services.save_thread(care.MessageThread(**base, subject="Rooster"))
    if kind == "message":
        thread = content(org, "thread")
        return care_services.save_message(care.Message(
            organization=org, thread=thread, author=thread.client, body="Hallo"))
    if kind == "appointment":
        return care_services.save_appointment(care.Appointment(
            **base, title="Intake", starts_at=soon, ends_at=soon + datetime.timedelta(hours=1)))
    if kind == "goal":
        return care_services.save_goal(care.Goal(**base, title="Fietsen"))
    if kind == "progress":
        goal = content(org, "goal")
        return care_services.save_progress(care.GoalProgress(
            organization=org, goal=goal, author=goal.client, score=5))
    if kind == "report":
        return care_services.save_report(care.Report(**base, kind="diary", title="Dag",
                                                     body="Goed."))
    return care_services.save_document(care.Document(**base, title="Plan"),
                                       upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n"))


class ContentCases(ResourceCases, CursorCases, DetailCases, FeatureCases):
    kind = ""

    def make(self, org):
        return made_with_feature(org, self.feature, lambda org: content(org, self.kind))


class TestMessageThreads(ContentCases, WriteCases):
    routes = ("message-thread-list", "message-thread-detail")
    list_path, detail_path = "/api/message-threads/", "/api/message-threads/{id}/"
    grant, write_grant, feature, kind = "messages:read", "messages:write", "messages", "thread"

    def create_body(self, org):
        client = person(org)
        return {"client": client.pk, "author": client.pk, "subject": "Vakantie"}


class TestMessages(ResourceCases, DetailCases, FeatureCases):
    routes = ("message-detail",)
    detail_path = "/api/messages/{id}/"
    grant, write_grant, feature = "messages:read", "messages:write", "messages"

    def make(self, org):
        return made_with_feature(org, "messages", lambda org: content(org, "message"))


class NestedContentCases(ResourceCases, CursorCases, FeatureCases):
    """A list under its parent (`/api/<parent>/{id}/<children>/`): the objects the generic
    cases make are children of one parent per organisation."""

    parent_kind = child_kind = template = ""
    parent = None

    @property
    def list_path(self):
        return self.template.format(self.parent.pk if self.parent else 1)

    def the_parent(self, org):
        if self.parent is None or self.parent.organization_id != org.pk:
            self.parent = made_with_feature(org, self.feature,
                                            lambda org: content(org, self.parent_kind))
        return self.parent

    def enable(self, org):
        super().enable(org)
        self.the_parent(org)

    def paths(self, org):
        self.the_parent(org)
        return [self.list_path]

    def make(self, org):
        from omgeving.care import models as care
        from omgeving.care import services as care_services

        parent = self.the_parent(org)
        if self.child_kind == "message":
            return care_services.save_message(care.Message(
                organization=org, thread=parent, author=parent.client, body="Hallo"))
        return care_services.save_progress(care.GoalProgress(
            organization=org, goal=parent, author=parent.client, score=6))


class TestThreadMessages(NestedContentCases, WriteCases):
    routes = ("thread-message-list",)
    grant, write_grant, feature = "messages:read", "messages:write", "messages"
    parent_kind, child_kind, template = "thread", "message", "/api/message-threads/{}/messages/"
    created_path = "/api/messages/{id}/"

    def create_body(self, org):
        return {"author": self.the_parent(org).client_id, "body": "Tot morgen"}


class TestGoalProgress(NestedContentCases, WriteCases):
    routes = ("goal-progress-list",)
    grant, write_grant, feature = "goals:read", "goals:write", "goals"
    parent_kind, child_kind, template = "goal", "progress", "/api/goals/{}/progress/"

    def create_body(self, org):
        return {"author": self.the_parent(org).client_id, "score": 7}


class TestAppointments(ContentCases, WriteCases):
    routes = ("appointment-list", "appointment-detail")
    list_path, detail_path = "/api/appointments/", "/api/appointments/{id}/"
    grant, write_grant = "appointments:read", "appointments:write"
    feature, kind = "appointments", "appointment"

    def create_body(self, org):
        client = person(org)
        return {"client": client.pk, "author": client.pk, "title": "Intake",
                "starts_at": "2030-01-07T09:00:00Z", "ends_at": "2030-01-07T10:00:00Z"}


class TestGoals(ContentCases, WriteCases):
    routes = ("goal-list", "goal-detail")
    list_path, detail_path = "/api/goals/", "/api/goals/{id}/"
    grant, write_grant, feature, kind = "goals:read", "goals:write", "goals", "goal"

    def create_body(self, org):
        client = person(org)
        return {"client": client.pk, "author": client.pk, "title": "Zwemmen"}


class TestReports(ContentCases, WriteCases):
    routes = ("report-list", "report-detail")
    list_path, detail_path = "/api/reports/", "/api/reports/{id}/"
    grant, write_grant, feature, kind = "reports:read", "reports:write", "reports", "report"

    def create_body(self, org):
        client = person(org)
        return {"client": client.pk, "author": client.pk, "kind": "diary", "title": "Dag",
                "body": "Fijn."}


class TestDocuments(ContentCases):
    """Uploads are multipart (tests/care/test_documents.py writes them)."""

    routes = ("document-list", "document-detail")
    list_path, detail_path = "/api/documents/", "/api/documents/{id}/"
    grant, write_grant, feature, kind = ("documents:read", "documents:write", "documents",
                                         "document")


class TestDocumentContent(ResourceCases, DetailCases, FeatureCases):
    routes = ("document-content",)
    detail_path = "/api/documents/{id}/content/"
    grant, write_grant, feature = "documents:read", "documents:write", "documents"

    def make(self, org):
        return made_with_feature(org, "documents", lambda org: content(org, "document"))


class TestUserTimeline(ResourceCases, DetailCases):
    routes = ("user-timeline-timeline",)
    detail_path = "/api/users/{id}/timeline/"
    grant = "relations:read"

    def enable(self, org):  # every category readable: the count covers all six queries
        from omgeving.tenancy.models import FEATURES
        from omgeving.tenancy.services import set_features

        set_features(org, on=FEATURES)

    def make(self, org):
        return content(org, "goal").client


def _api_routes():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.name

    return {name for path, name in walk(get_resolver().url_patterns) if path.startswith("api/")}


class TestUserUpsert(UpsertCases):
    routes = ("user-upsert",)
    path = "/api/users/external/{external_id}/"
    grant, write_grant = "users:read", "users:write"

    def body(self, org):
        return {"username": f"u{next(_n)}", "roles": ["CLIENT"]}


class TestRelationUpsert(UpsertCases):
    routes = ("relation-upsert",)
    path = "/api/relations/external/{external_id}/"
    grant, write_grant = "relations:read", "relations:write"

    def body(self, org):
        return {"client": person(org).pk, "person": person(org, Role.GUARDIAN).pk,
                "authorisation": "GUARDIAN"}


class TestGroupUpsert(UpsertCases):
    routes = ("group-upsert",)
    path = "/api/groups/external/{external_id}/"
    grant, write_grant = "relations:read", "relations:write"

    def body(self, org):
        return {"name": f"Team {next(_n)}"}


class TestGroupMemberUpsert(UpsertCases):
    routes = ("group-member-upsert",)
    path = "/api/group-members/external/{external_id}/"
    grant, write_grant = "relations:read", "relations:write"

    def body(self, org):
        return {"group": group(org).pk, "user": person(org, Role.COUNSELOR).pk}


class TestGroupClientUpsert(UpsertCases):
    routes = ("group-client-upsert",)
    path = "/api/group-clients/external/{external_id}/"
    grant, write_grant = "relations:read", "relations:write"

    def body(self, org):
        return {"group": group(org).pk, "client": person(org).pk}


class TestAppointmentUpsert(UpsertCases):
    routes = ("appointment-upsert",)
    path = "/api/appointments/external/{external_id}/"
    grant, write_grant, feature = "appointments:read", "appointments:write", "appointments"

    def body(self, org):
        return TestAppointments().create_body(org)


class TestGoalUpsert(UpsertCases):
    routes = ("goal-upsert",)
    path = "/api/goals/external/{external_id}/"
    grant, write_grant, feature = "goals:read", "goals:write", "goals"

    def body(self, org):
        return TestGoals().create_body(org)


class TestReportUpsert(UpsertCases):
    routes = ("report-upsert",)
    path = "/api/reports/external/{external_id}/"
    grant, write_grant, feature = "reports:read", "reports:write", "reports"

    def body(self, org):
        return TestReports().create_body(org)


class TestFamilyUpsert(UpsertCases):
    routes = ("family-upsert",)
    path = "/api/families/external/{external_id}/"
    grant, write_grant = "families:read", "families:write"
    feature = "families"

    def body(self, org):
        return {"name": f"Family {next(_n)}"}


def concrete(base) -> list[type]:
    """The test classes made from `base` (directly or through a shared intermediate such as
    ContentCases): those that name routes."""
    found, todo = [], list(base.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.routes and cls not in found:
            found.append(cls)
    return found


def test_every_paged_list_has_the_cursor_cases():
    paged = [cls for cls in concrete(ResourceCases) if cls().paged()]
    assert paged and all(issubclass(cls, CursorCases) for cls in paged), \
        [cls.__name__ for cls in paged if not issubclass(cls, CursorCases)]
    assert all(cls().paged() for cls in concrete(CursorCases))


def test_every_api_route_has_generic_cases():
    classes = [*concrete(ResourceCases), *concrete(ActionCases), *concrete(UpsertCases)]
    covered = {route for cls in classes for route in cls.routes}
    for cls in concrete(ResourceCases):  # a detail route needs the 404 case
        assert bool(cls.detail_path) == issubclass(cls, DetailCases), cls
        assert bool(cls.feature) == issubclass(cls, FeatureCases), cls
    for cls in concrete(ActionCases):
        assert bool(cls.feature) == issubclass(cls, ActionFeatureCases), cls
    missing = _api_routes() - covered - set(EXEMPT)
    assert not missing, f"API routes without a ResourceCases subclass: {sorted(missing)}"
    assert not (covered & set(EXEMPT))
    assert not (covered | set(EXEMPT)) - _api_routes(), "stale entries"

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from omgeving.accounts.models import Role
from omgeving.errors import CODES
from omgeving.tenancy.admin_base import ReadOnlyAdminMixin, TenantInline, TenantModelAdmin
from omgeving.tenancy.services import check_unique

from . import care_status, families, invitations, services
from .models import (
    CareStatus,
    ClientCareStatus,
    Family,
    FamilyMember,
    Group,
    GroupClient,
    GroupMember,
    Invitation,
    Relation,
    RelationType,
)


@admin.register(RelationType)
class RelationTypeAdmin(TenantModelAdmin):
    list_display = ["name", "external_id"]
    search_fields = ["name"]
    rule_check = staticmethod(lambda obj: check_unique(obj, "name", "external_id"))
    rule_save = staticmethod(services.save_relation_type)
    rule_delete = staticmethod(services.delete_relation_type)


PROFESSIONALS = (Role.COUNSELOR, Role.COUNSELOR_PLUS)
ACTIVE_CLIENTS = Q(is_active=True, authorisation=Role.CLIENT)
ACTIVE_NON_CLIENTS = Q(is_active=True, authorisation__isnull=False) & ~Q(
    authorisation=Role.CLIENT)
ACTIVE_PROFESSIONALS = Q(is_active=True, authorisation__in=PROFESSIONALS)


def _rules_text(*functions) -> str:
    """The rules the services check, in the words of errors.CODES: one source for the API's
    documentation and the admin's explanation (in the language of the request)."""
    codes = sorted(set().union(*(f.raises for f in functions)) - {"missing_grant"})
    return _("Rules checked on saving:") + " " + " ".join(
        str(CODES[code][1]) for code in codes if CODES[code][0] in (400, 409))


rules_text = lazy(_rules_text, str)


@admin.register(Relation)
class RelationAdmin(TenantModelAdmin):
    list_display = ["client", "person", "authorisation", "relation_type", "start_date",
                    "end_date"]
    list_filter = ["authorisation"]
    search_fields = ["client__username", "person__username", "client__display_name",
                     "person__display_name"]
    autocomplete_fields = ["client", "person"]
    person_choices = {"client": ACTIVE_CLIENTS, "person": ACTIVE_NON_CLIENTS}
    fieldsets = [(None, {
        "fields": ["client", "person", "authorisation", "relation_type", "start_date",
                   "end_date", "external_id"],
        "description": format_lazy(
            "{} {}", gettext_lazy(
                "A direct relation links a person to a client: the client is always in the "
                "middle of the network. The authorisation says what kind of the client's data "
                "the person sees (docs/access.md); it cannot exceed the person's own default "
                "authorisation. An end date ends what the relation grants after that day; "
                "deleting a relation that has started ends it yesterday and keeps its "
                "history."), rules_text(services.check_relation))})]
    rule_check = staticmethod(services.check_relation)
    rule_save = staticmethod(services.save_relation)
    # Deleting ends the relation (yesterday) and keeps the history, as the API does.
    rule_delete = staticmethod(services.end_or_remove)


class GroupMemberInline(TenantInline):
    """Professionals of the group: they relate to every client of the group."""

    model = GroupMember
    person_choices = {"user": ACTIVE_PROFESSIONALS}
    autocomplete_fields = ["user"]
    can_delete = False  # end a membership with an end date; history is kept
    rule_check = staticmethod(services.check_membership)


class GroupClientInline(TenantInline):
    """Clients of the group: every member relates to them."""

    model = GroupClient
    person_choices = {"client": ACTIVE_CLIENTS}
    autocomplete_fields = ["client"]
    can_delete = False
    rule_check = staticmethod(services.check_membership)


@admin.register(Group)
class GroupAdmin(TenantModelAdmin):
    list_display = ["name", "kind", "external_id"]
    search_fields = ["name"]
    inlines = [GroupMemberInline, GroupClientInline]
    fieldsets = [(None, {
        "fields": ["name", "kind", "external_id"],
        "description": format_lazy(
            "{} {}", gettext_lazy(
                "A group is a team or a location. Its members (professionals) relate to every "
                "client of the group, with the authorisation of their membership; an end date "
                "ends a membership after that day, and the history is kept."),
            rules_text(services.check_membership))})]
    rule_check = staticmethod(lambda obj: check_unique(obj, "name", "external_id"))
    rule_save = staticmethod(services.save_group)
    rule_delete = staticmethod(services.delete_group)


class FamilyMemberInline(TenantInline):
    model = FamilyMember
    person_choices = {"user": Q(is_active=True, authorisation__isnull=False)}
    feature = "families"
    rule_check = staticmethod(lambda member: services.check_in_network(member.user, "user"))


@admin.register(Family)
class FamilyAdmin(TenantModelAdmin):
    feature = "families"
    list_display = ["name", "city", "external_id"]
    search_fields = ["name", "city"]
    inlines = [FamilyMemberInline]
    rule_save = staticmethod(families.save_family)
    rule_delete = staticmethod(families.delete_family)


@admin.register(CareStatus)
class CareStatusAdmin(TenantModelAdmin):
    feature = "care_status"
    list_display = ["name", "position", "is_active"]
    rule_check = staticmethod(lambda obj: check_unique(obj, "name"))
    rule_save = staticmethod(care_status.save_care_status)
    rule_delete = staticmethod(care_status.delete_care_status)


@admin.register(ClientCareStatus)
class ClientCareStatusAdmin(ReadOnlyAdminMixin, TenantModelAdmin):
    """The history is kept as it happened: read-only here; set statuses through the API."""

    feature = "care_status"
    list_display = ["client", "status", "set_by", "set_at"]


@admin.register(Invitation)
class InvitationAdmin(TenantModelAdmin):
    feature = "invitations"
    list_display = ["id", "kind", "client", "email", "authorisation", "state", "expires_at"]
    list_filter = ["kind", "state"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # invitations come from the API (and later the portal) with their link

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the invitation and its answer are history

    @admin.action(description=gettext_lazy("Revoke the selected pending invitations"))
    def revoke(self, request, queryset):
        revoked = 0
        for invitation in queryset:
            if invitation.effective_state == Invitation.State.PENDING:
                invitations.revoke_invitation(invitation)
                revoked += 1
        self.message_user(request, ngettext("%(count)d invitation revoked.",
                                            "%(count)d invitations revoked.", revoked)
                          % {"count": revoked})

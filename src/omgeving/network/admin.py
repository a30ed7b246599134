from __future__ import annotations

from django.contrib import admin

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


@admin.register(Relation)
class RelationAdmin(TenantModelAdmin):
    list_display = ["client", "person", "authorisation", "relation_type", "start_date",
                    "end_date"]
    list_filter = ["authorisation"]
    search_fields = ["client__username", "person__username"]
    rule_check = staticmethod(services.check_relation)
    rule_save = staticmethod(services.save_relation)
    # Deleting ends the relation (yesterday) and keeps the history, as the API does.
    rule_delete = staticmethod(services.end_or_remove)


class GroupMemberInline(TenantInline):
    model = GroupMember
    can_delete = False  # end a membership with an end date; history is kept
    rule_check = staticmethod(services.check_membership)


class GroupClientInline(TenantInline):
    model = GroupClient
    can_delete = False
    rule_check = staticmethod(services.check_membership)


@admin.register(Group)
class GroupAdmin(TenantModelAdmin):
    list_display = ["name", "kind", "external_id"]
    search_fields = ["name"]
    inlines = [GroupMemberInline, GroupClientInline]
    rule_check = staticmethod(lambda obj: check_unique(obj, "name", "external_id"))
    rule_save = staticmethod(services.save_group)
    rule_delete = staticmethod(services.delete_group)


class FamilyMemberInline(TenantInline):
    model = FamilyMember
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

    @admin.action(description="Revoke the selected pending invitations")
    def revoke(self, request, queryset):
        revoked = 0
        for invitation in queryset:
            if invitation.effective_state == Invitation.State.PENDING:
                invitations.revoke_invitation(invitation)
                revoked += 1
        self.message_user(request, f"{revoked} invitation(s) revoked.")

"""Families, care status and invitations: each switched on or off per organisation.

Rules, each with its own code:
    the feature is switched on for the organisation          feature_disabled (404 on the API)
    family members are persons of the network (no app/admin)  not_in_network
    a care status belongs to a client                         not_a_client
    an inactive care status is not set any more               status_inactive
    an invitation into a network names a client               not_a_client
    an invitation of a client names a professional counselor  not_a_professional
    only a pending invitation is accepted, declined, revoked  invitation_not_pending
    an invitation past its expiry is expired                  invitation_expired
    an accept/decline token is single-use and must match      invitation_token_invalid
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from omgeving.accounts import services as accounts
from omgeving.accounts.models import Role, User

from . import services
from .models import (
    CareStatus,
    ClientCareStatus,
    Family,
    FamilyMember,
    Invitation,
    Relation,
)
from .services import PROFESSIONALS, check_in_network


class FeatureDisabled(Exception):
    def __init__(self, feature: str):
        super().__init__(f"The feature '{feature}' is not switched on for this organisation.")
        self.feature = feature


def require(organization, feature: str) -> None:
    if not organization.has_feature(feature):
        raise FeatureDisabled(feature)


# --- families ------------------------------------------------------------------------------

@transaction.atomic
def save_family(family: Family, members: list[User] | None = None) -> Family:
    require(family.organization, "families")
    if family.external_id == "":
        family.external_id = None
    family.full_clean(validate_unique=False, validate_constraints=False)
    others = Family.objects.for_organization(family.organization).exclude(pk=family.pk)
    if family.external_id and others.filter(external_id=family.external_id).exists():
        raise accounts.ConflictError({"external_id": ValidationError(
            "A family with this external_id exists.", code="external_id_taken")})
    family.save()
    if members is not None:
        for user in members:
            services.check_same_organization(family, (user, "members"))
            check_in_network(user, "members")
        FamilyMember.objects.for_organization(family.organization).filter(
            family=family).exclude(user__in=members).delete()
        existing = set(FamilyMember.objects.for_organization(family.organization)
                       .filter(family=family).values_list("user_id", flat=True))
        FamilyMember.objects.bulk_create([
            FamilyMember(organization=family.organization, family=family, user=user)
            for user in members if user.pk not in existing])
    return family


# --- care status ---------------------------------------------------------------------------

def current_care_status(client: User) -> ClientCareStatus | None:
    return (ClientCareStatus.objects.for_organization(client.organization)
            .filter(client=client).select_related("status").first())


@transaction.atomic
def set_care_status(client: User, status: CareStatus, set_by: User | None) -> ClientCareStatus:
    require(client.organization, "care_status")
    if client.authorisation != Role.CLIENT or client.is_application or client.is_administrator:
        raise ValidationError({"client": ValidationError(
            "Only a client has a care status.", code="not_a_client")})
    if status.organization_id != client.organization_id:
        raise ValidationError({"status": ValidationError(
            "This status belongs to another organisation.", code="other_organization")})
    if not status.is_active:
        raise ValidationError({"status": ValidationError(
            "This status is no longer in use.", code="status_inactive")})
    return ClientCareStatus.objects.create(organization=client.organization, client=client,
                                           status=status, set_by=set_by)


# --- invitations ---------------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _error(field, message, code):
    if field:
        return ValidationError({field: ValidationError(message, code=code)})
    return ValidationError(message, code=code)


@transaction.atomic
def create_invitation(invitation: Invitation) -> tuple[Invitation, str]:
    """Validate and store; returns the invitation and its single-use link token (shown once,
    stored only as a hash)."""
    org = invitation.organization
    require(org, "invitations")
    if invitation.invitee is not None:
        services.check_same_organization(invitation, (invitation.invitee, "invitee"))
        check_in_network(invitation.invitee, "invitee")
    elif not invitation.email:
        raise _error("email", "Name an existing person (invitee) or give the new person's "
                     "e-mail address.", "required")
    if invitation.kind == Invitation.Kind.NETWORK:
        if invitation.client is None:
            raise _error("client", "Whose network? Name the client.", "required")
        services.check_same_organization(invitation, (invitation.client, "client"))
        if invitation.client.authorisation != Role.CLIENT:
            raise _error("client", "Invitations into a network name a client.", "not_a_client")
        if invitation.invitee is not None and invitation.invitee.authorisation == Role.CLIENT:
            raise _error("invitee", "A client never joins another client's network (rule 2).",
                         "client_to_client")
    else:
        counselor = invitation.counselor or invitation.invited_by
        if counselor.is_application:
            raise _error("counselor", "An application inviting a client names the counselor "
                         "the client will relate to.", "required")
        services.check_same_organization(invitation, (counselor, "counselor"))
        if counselor.authorisation not in PROFESSIONALS:
            raise _error("counselor", "The counselor is a professional.", "not_a_professional")
        invitation.counselor = counselor
        if invitation.invitee is not None and invitation.invitee.authorisation != Role.CLIENT:
            raise _error("invitee", "This person is not a client.", "not_a_client")
        invitation.client = invitation.invitee
        if invitation.authorisation not in PROFESSIONALS:
            invitation.authorisation = counselor.authorisation
    services.check_bsn_grant(invitation.invited_by, invitation.authorisation)
    today = timezone.localdate()
    if invitation.end_date is not None and invitation.end_date < today:
        raise _error("end_date", "The end date has passed.", "end_before_start")
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _hash(token)
    invitation.expires_at = timezone.now() + datetime.timedelta(
        seconds=settings.INVITATION_LIFETIME)
    invitation.state = Invitation.State.PENDING
    invitation.full_clean(validate_unique=False, validate_constraints=False)
    invitation.save()
    return invitation, token


def _pending_by_token(org, token: str) -> Invitation:
    invitation = (Invitation.objects.for_organization(org).select_for_update()
                  .filter(token_hash=_hash(token)).first() if token else None)
    if invitation is None:
        raise _error("token", "This invitation link is not valid (or was used).",
                     "invitation_token_invalid")
    if invitation.effective_state == Invitation.State.EXPIRED:
        raise _error("token", "This invitation has expired.", "invitation_expired")
    if invitation.state != Invitation.State.PENDING:
        raise _error("token", "This invitation is no longer pending.", "invitation_not_pending")
    return invitation


def _new_person(invitation: Invitation, authorisation: str) -> User:
    # A username takes letters, digits and . + - _ only: o'brien@… becomes obrien-x7k2qa.
    base = re.sub(r"[^\w.+-]", "", invitation.email.split("@")[0], flags=re.ASCII)[:100]
    base = base or "person"
    username = f"{base}-{get_random_string(6).lower()}"
    return accounts.create_user(
        organization=invitation.organization, username=username, roles=[authorisation],
        email=invitation.email, first_name=invitation.first_name,
        last_name=invitation.last_name)


@transaction.atomic
def accept_invitation(organization, token: str) -> Invitation:
    require(organization, "invitations")
    invitation = _pending_by_token(organization, token)
    if invitation.kind == Invitation.Kind.NETWORK:
        person = invitation.invitee or _new_person(
            invitation, invitation.authorisation if invitation.authorisation in
            (Role.GUARDIAN, Role.EXTERNAL, *PROFESSIONALS) else Role.EXTERNAL)
        client = invitation.client
    else:
        client = invitation.invitee or _new_person(invitation, Role.CLIENT)
        person = invitation.counselor
    relation = services.save_relation(Relation(
        organization=organization, client=client, person=person,
        authorisation=invitation.authorisation, relation_type=invitation.relation_type,
        end_date=invitation.end_date))
    invitation.invitee = invitation.invitee or (person if invitation.kind == "network"
                                                else client)
    invitation.client = client
    invitation.relation = relation
    invitation.state = Invitation.State.ACCEPTED
    invitation.responded_at = timezone.now()
    invitation.token_hash = ""  # single use
    invitation.save()
    return invitation


@transaction.atomic
def decline_invitation(organization, token: str) -> Invitation:
    require(organization, "invitations")
    invitation = _pending_by_token(organization, token)
    invitation.state = Invitation.State.DECLINED
    invitation.responded_at = timezone.now()
    invitation.token_hash = ""
    invitation.save()
    return invitation


@transaction.atomic
def revoke_invitation(invitation: Invitation) -> Invitation:
    require(invitation.organization, "invitations")
    if invitation.effective_state != Invitation.State.PENDING:
        raise _error(None, f"Only a pending invitation can be revoked; this one is "
                     f"{invitation.effective_state}.", "invitation_not_pending")
    invitation.state = Invitation.State.REVOKED
    invitation.responded_at = timezone.now()
    invitation.token_hash = ""
    invitation.save()
    return invitation



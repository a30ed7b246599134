"""Invitations: a professional (or an application) invites a client, or a person into a
client's network; the invitee accepts with the link's token, or declines; the sender can
revoke. Switched on per organisation.

Rules, each with its own code:
    the feature is switched on for the organisation          feature_disabled (404 on the API)
    an invitation into a network names a client               not_a_client
    an invitation of a client names a professional counselor  not_a_professional
    giving BSN sight needs the inviting application's grant   missing_grant (403)
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
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from omgeving.accounts import services as accounts
from omgeving.accounts.models import Role, User
from omgeving.errors import raises
from omgeving.errors import rule_error as _error
from omgeving.tenancy.features import require

from . import services
from .models import Invitation, Relation, today
from .services import PROFESSIONALS, check_in_network


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
@raises("required", "not_a_client", "client_to_client", "not_a_professional",
        "end_before_start", also=(services.check_same_organization,))
def create_invitation(invitation: Invitation) -> tuple[Invitation, str]:
    """Validate and store; returns the invitation and its single-use link token (shown once,
    stored only as a hash)."""
    org = invitation.organization
    require(org, "invitations")
    if invitation.invitee is not None:
        services.check_same_organization(invitation, (invitation.invitee, "invitee"))
        check_in_network(invitation.invitee, "invitee")
    elif not invitation.email:
        raise _error("email", _("Name an existing person (invitee) or give the new person's "
                     "e-mail address."), "required")
    if invitation.kind == Invitation.Kind.NETWORK:
        if invitation.client is None:
            raise _error("client", _("Whose network? Name the client."), "required")
        services.check_same_organization(invitation, (invitation.client, "client"))
        if invitation.client.authorisation != Role.CLIENT:
            raise _error("client", _("Invitations into a network name a client."), "not_a_client")
        if invitation.invitee is not None and invitation.invitee.authorisation == Role.CLIENT:
            raise _error("invitee", _("A client never joins another client's network (rule 2)."),
                         "client_to_client")
    else:
        counselor = invitation.counselor or invitation.invited_by
        if counselor.is_application:
            raise _error("counselor", _("An application inviting a client names the counselor "
                         "the client will relate to."), "required")
        services.check_same_organization(invitation, (counselor, "counselor"))
        if counselor.authorisation not in PROFESSIONALS:
            raise _error("counselor", _("The counselor is a professional."), "not_a_professional")
        invitation.counselor = counselor
        if invitation.invitee is not None and invitation.invitee.authorisation != Role.CLIENT:
            raise _error("invitee", _("This person is not a client."), "not_a_client")
        invitation.client = invitation.invitee
        if invitation.authorisation not in PROFESSIONALS:
            invitation.authorisation = counselor.authorisation
    services.check_bsn_grant(invitation.invited_by, invitation.authorisation)
    if invitation.end_date is not None and invitation.end_date < today():
        raise _error("end_date", _("The end date has passed."), "end_before_start")
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _hash(token)
    invitation.expires_at = timezone.now() + datetime.timedelta(
        seconds=settings.INVITATION_LIFETIME)
    invitation.state = Invitation.State.PENDING
    invitation.full_clean(validate_unique=False, validate_constraints=False)
    invitation.save()
    return invitation, token


@raises("invitation_token_invalid", "invitation_expired", "invitation_not_pending")
def _pending_by_token(org, token: str) -> Invitation:
    invitation = (Invitation.objects.for_organization(org).select_for_update()
                  .filter(token_hash=_hash(token)).first() if token else None)
    if invitation is None:
        raise _error("token", _("This invitation link is not valid (or was used)."),
                     "invitation_token_invalid")
    if invitation.effective_state == Invitation.State.EXPIRED:
        raise _error("token", _("This invitation has expired."), "invitation_expired")
    if invitation.state != Invitation.State.PENDING:
        raise _error("token", _("This invitation is no longer pending."), "invitation_not_pending")
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
@raises(also=(_pending_by_token, services.save_relation))
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
@raises(also=(_pending_by_token,))
def decline_invitation(organization, token: str) -> Invitation:
    require(organization, "invitations")
    invitation = _pending_by_token(organization, token)
    invitation.state = Invitation.State.DECLINED
    invitation.responded_at = timezone.now()
    invitation.token_hash = ""
    invitation.save()
    return invitation


@transaction.atomic
@raises("invitation_not_pending")
def revoke_invitation(invitation: Invitation) -> Invitation:
    require(invitation.organization, "invitations")
    if invitation.effective_state != Invitation.State.PENDING:
        raise _error(None, _("Only a pending invitation can be revoked; this one is "
                             "%(state)s.") % {"state": invitation.effective_state},
                     "invitation_not_pending")
    invitation.state = Invitation.State.REVOKED
    invitation.responded_at = timezone.now()
    invitation.token_hash = ""
    invitation.save()
    return invitation

"""Families (gezinnen): a household with a name and an address, grouping clients and
relatives. Switched on per organisation.

Rules: the feature is on (feature_disabled, 404); members are persons of the network
(not_in_network); the external_id is unique in the organisation (external_id_taken, 409).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from omgeving.accounts.models import User
from omgeving.errors import raises
from omgeving.errors import rule_error as _error
from omgeving.tenancy.features import require
from omgeving.tenancy.services import tombstone

from .models import Family, FamilyMember
from .services import check_in_network, check_same_organization


@transaction.atomic
@raises("external_id_taken", "feature_disabled",
        also=(check_same_organization, check_in_network))
def save_family(family: Family, members: list[User] | None = None) -> Family:
    require(family.organization, "families")
    if family.external_id == "":
        family.external_id = None
    family.full_clean(validate_unique=False, validate_constraints=False)
    others = Family.objects.for_organization(family.organization).exclude(pk=family.pk)
    if family.external_id and others.filter(external_id=family.external_id).exists():
        raise _error("external_id", _("A family with this external_id exists."),
                     "external_id_taken")
    family.save()
    if members is not None:
        for user in members:
            check_same_organization(family, (user, "members"))
            check_in_network(user, "members")
        FamilyMember.objects.for_organization(family.organization).filter(
            family=family).exclude(user__in=members).delete()
        existing = set(FamilyMember.objects.for_organization(family.organization)
                       .filter(family=family).values_list("user_id", flat=True))
        FamilyMember.objects.bulk_create([
            FamilyMember(organization=family.organization, family=family, user=user)
            for user in members if user.pk not in existing])
    return family


def delete_family(family: Family) -> None:
    """The household grouping goes (a tombstone); its members stay."""
    require(family.organization, "families")
    tombstone(family)

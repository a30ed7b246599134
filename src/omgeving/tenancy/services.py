"""Business rules for organisations."""

from __future__ import annotations

from django.db import transaction
from django.db.models import ProtectedError

from omgeving.errors import rule_error

from .models import Organization


@transaction.atomic
def create_organization(*, slug: str, name: str) -> Organization:
    organization = Organization(slug=slug.strip().lower(), name=name.strip() or slug)
    organization.full_clean()  # DNS label, not reserved, not taken
    organization.save()
    return organization


def organization_for_host(host: str, base_domain: str) -> Organization | None:
    """The active organisation served at `host`, or None (bare domain or unknown)."""
    host = host.split(":", 1)[0].lower().rstrip(".")
    suffix = "." + base_domain
    if not host.endswith(suffix):
        return None
    slug = host[: -len(suffix)]
    if not slug or "." in slug:
        return None
    return Organization.objects.filter(slug=slug, is_active=True).first()


def check_unique(obj, *fields: str) -> None:
    """Each of `fields`, when set, is unique within the object's organisation (409
    `<field>_taken`)."""
    others = type(obj).objects.for_organization(obj.organization).exclude(pk=obj.pk)
    for field in fields:
        value = getattr(obj, field)
        if value not in (None, "") and others.filter(**{field: value}).exists():
            raise rule_error(field, f"One with this {field} exists in this organisation.",
                             f"{field}_taken", conflict=True)


@transaction.atomic
def save_unique(obj, *fields: str):
    """Validate, check uniqueness within the organisation, save: the write of the simple
    organisation-owned resources (relation types, groups, care statuses)."""
    if getattr(obj, "external_id", None) == "":
        obj.external_id = None
    obj.full_clean(validate_unique=False, validate_constraints=False)
    check_unique(obj, *fields)
    obj.save()
    return obj


def delete_unless_in_use(obj, message: str) -> None:
    """Delete, or 409 `in_use` while other records refer to it."""
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        raise rule_error(None, message, "in_use", conflict=True) from exc

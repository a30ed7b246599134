"""Business rules for organisations."""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omgeving.errors import rule_error

from .models import FEATURES, Organization


@transaction.atomic
def create_organization(*, slug: str, name: str) -> Organization:
    organization = Organization(slug=slug.strip().lower(), name=name.strip() or slug)
    organization.full_clean()  # DNS label, not reserved, not taken
    organization.save()
    return organization


def set_features(organization: Organization, *, on=(), off=()) -> Organization:
    """Switch features on and off (names of FEATURES; ValueError for any other)."""
    unknown = sorted((set(on) | set(off)) - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown feature(s) {', '.join(unknown)}; "
                         f"known: {', '.join(FEATURES)}")
    if set(on) & set(off):
        raise ValueError(f"both on and off: {', '.join(sorted(set(on) & set(off)))}")
    for name in on:
        setattr(organization, f"feature_{name}", True)
    for name in off:
        setattr(organization, f"feature_{name}", False)
    organization.save(update_fields=[*(f"feature_{n}" for n in (*on, *off)), "modified"])
    return organization


def organization_for_host(host: str, base_domain: str, *,
                          provisional: bool = False) -> Organization | None:
    """The active organisation served at `host`, or None (bare domain or unknown).

    `provisional=True` (API requests that carry a token): the process's last confirmed copy,
    without a query. Such an organisation is marked `provisional` and must be confirmed from
    the database before anything relies on it: the token check does that in the same query
    as the token's user (tokens.services.user_for_claims), every other path with
    `confirm()`. So a deactivated organisation is refused on the very next request, in every
    process, and feature switches are read fresh on every request."""
    slug = _slug(host, base_domain)
    if slug is None:
        return None
    if provisional:
        values = _known.get(slug)
        if values is not None:
            organization = Organization(**values)
            organization._state.adding = False
            organization.provisional = True
            return organization
    organization = Organization.objects.filter(slug=slug, is_active=True).first()
    remember(slug, organization)
    return organization


# slug → the field values of the organisation last confirmed active there (per process).
_known: dict[str, dict] = {}


def remember(slug: str, organization: Organization | None) -> None:
    if organization is None or not organization.is_active or organization.slug != slug:
        _known.pop(slug, None)
    else:
        _known[slug] = {f.attname: getattr(organization, f.attname)
                        for f in Organization._meta.concrete_fields}


def confirm(organization: Organization) -> Organization | None:
    """A provisional organisation as the database has it now: the active organisation at
    its host (the middleware's own query; another one if the organisation was deleted and
    its name taken again), or None."""
    if not getattr(organization, "provisional", False):
        return organization
    fresh = Organization.objects.filter(slug=organization.slug, is_active=True).first()
    remember(organization.slug, fresh)
    return fresh


def forget_all() -> None:
    """Forget every organisation this process knows (tests start from nothing)."""
    _known.clear()


def _slug(host: str, base_domain: str) -> str | None:
    host = host.split(":", 1)[0].lower().rstrip(".")
    suffix = "." + base_domain
    if not host.endswith(suffix):
        return None
    slug = host[: -len(suffix)]
    if not slug or "." in slug:
        return None
    return slug


def check_unique(obj, *fields: str) -> None:
    """Each of `fields`, when set, is unique within the object's organisation (409
    `<field>_taken`)."""
    others = type(obj).objects.for_organization(obj.organization).exclude(pk=obj.pk)
    for field in fields:
        value = getattr(obj, field)
        if value not in (None, "") and others.filter(**{field: value}).exists():
            raise rule_error(field, _("One with this %(field)s exists in this organisation.")
                             % {"field": field},
                             f"{field}_taken")


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


@transaction.atomic
def tombstone(obj) -> None:
    """Delete a Tombstoned object: it keeps its row with `deleted_at` (the feed says
    `deleted`; its address answers 410 from now)."""
    obj.deleted_at = timezone.now()
    obj.save(update_fields=["deleted_at", "modified"])


def delete(obj) -> None:
    """Delete without a resource's own service: a Tombstoned object becomes a tombstone,
    any other is deleted. The API's and the admin's default."""
    from .models import Tombstoned

    tombstone(obj) if isinstance(obj, Tombstoned) else obj.delete()


def delete_unless_in_use(obj, message: str) -> None:
    """Delete (a tombstone), or 409 `in_use` while live records refer to it through a
    protected foreign key (ended relations and memberships count: they are history)."""
    for rel in obj._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and rel.is_relation and not rel.concrete) or \
                getattr(rel, "on_delete", None) is not models.PROTECT:
            continue
        refs = rel.related_model._default_manager.filter(organization=obj.organization_id,
                                                         **{rel.field.name: obj})
        if refs.exists():
            raise rule_error(None, message, "in_use")
    tombstone(obj)

"""Business rules for organisations."""

from __future__ import annotations

from django.db import transaction

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

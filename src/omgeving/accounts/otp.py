"""Second factor for administrators: add a TOTP device (the bootstrap path of the CLI)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User


@transaction.atomic
def add_totp_device(user: User, name: str = "authenticator", *,
                    replace: bool = False) -> TOTPDevice:
    """The user's one TOTP device. A second one is refused unless it replaces the first: the
    admin's login form would otherwise ask which device to use, and the old one would keep
    working (a lost phone)."""
    if not (user.is_administrator or user.is_superuser):
        raise ValidationError(_("Only administrators and platform superusers sign in to the "
                              "admin, so only they get a second factor."), code="not_admin")
    existing = TOTPDevice.objects.select_for_update().filter(user=user)
    if existing.exists():
        if not replace:
            raise ValidationError(_("This user already has an authenticator; replace it "
                                  "(the old one stops working) or keep it."), code="has_device")
        existing.delete()
    return TOTPDevice.objects.create(user=user, name=name, confirmed=True)

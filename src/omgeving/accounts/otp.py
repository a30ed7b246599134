"""Second factor for administrators: add a TOTP device (the bootstrap path of the CLI)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User


def add_totp_device(user: User, name: str = "authenticator") -> TOTPDevice:
    if not (user.is_administrator or user.is_superuser):
        raise ValidationError("Only administrators and platform superusers sign in to the "
                              "admin, so only they get a second factor.", code="not_admin")
    return TOTPDevice.objects.create(user=user, name=name, confirmed=True)

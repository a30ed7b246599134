from __future__ import annotations

from django.test import Client
from rest_framework.test import APIClient

from omgeving.accounts import services as accounts
from omgeving.accounts.grants import Grant
from omgeving.accounts.models import Role

APP_PASSWORD = "app-password-for-tests-1"
ADMIN_PASSWORD = "admin-password-for-tests-1"


def make_app(org, username="api", grants=tuple(Grant.values)):
    """An Application user; by default with every grant."""
    return accounts.create_user(organization=org, username=username, roles=[Role.APPLICATION],
                                password=APP_PASSWORD, grants=list(grants))


def host(org) -> str:
    return f"{org.slug}.localhost"


def client_for(org, token: str | None = None) -> APIClient:
    client = APIClient(HTTP_HOST=host(org))
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    return client


def make_person(org, username, role=Role.CLIENT, **fields):
    return accounts.create_user(organization=org, username=username, roles=[role], **fields)


def totp_code(device) -> str:
    """The current code of a TOTP device, as an authenticator app would show it."""
    from django_otp.oath import totp

    return str(totp(device.bin_key, step=device.step, t0=device.t0,
                    digits=device.digits)).zfill(device.digits)


def admin_of(org, username="beheer", device=True):
    user = accounts.create_user(organization=org, username=username,
                                roles=[Role.ADMINISTRATOR], password=ADMIN_PASSWORD)
    return user, (_add_totp_device(user) if device else None)


def log_in(org, username, password=ADMIN_PASSWORD, token="", ip="192.0.2.1"):
    client = Client(HTTP_HOST=f"{org.slug}.localhost" if org else "localhost",
                    REMOTE_ADDR=ip)
    response = client.post("/admin/login/?next=/admin/", {
        "username": username, "password": password, "otp_token": token})
    return client, response


def _add_totp_device(user):
    from omgeving.accounts.otp import add_totp_device

    return add_totp_device(user)


def refusal(exc) -> tuple:
    """A rule's refusal as the API shows it: (field or None, code, message)."""
    error = exc.value
    if hasattr(error, "error_dict"):
        [(field, [detail])] = error.error_dict.items()
        return field, detail.code, detail.message
    return None, error.code, error.message

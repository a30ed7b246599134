"""A password hash upgraded at login is not a password change: other tokens stay valid."""

from __future__ import annotations

import pytest
from django.test import override_settings

from omgeving.accounts.models import User
from omgeving.accounts.services import set_password
from omgeving.tokens.services import issue_token

from ..helpers import APP_PASSWORD, client_for

MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"

pytestmark = pytest.mark.django_db


def test_a_login_that_upgrades_the_hash_keeps_other_tokens(org_a, app_a):
    with override_settings(PASSWORD_HASHERS=[PBKDF2]):
        set_password(app_a, APP_PASSWORD)
    app_a = User.objects.for_organization(org_a).get(pk=app_a.pk)
    token = issue_token(app_a).token
    with override_settings(PASSWORD_HASHERS=[MD5, PBKDF2]):  # MD5 is now preferred
        login = client_for(org_a).post("/api/token-auth/", {"username": "api",
                                                            "password": APP_PASSWORD},
                                       format="json")
    assert login.status_code == 200
    stored = User.objects.for_organization(org_a).get(pk=app_a.pk)
    assert stored.password.startswith("md5$")  # upgraded on login
    assert stored.token_version == app_a.token_version  # and nothing revoked
    assert client_for(org_a, token).get("/api/me/").status_code == 200


def test_a_new_password_still_revokes(org_a, app_a):
    token = issue_token(app_a).token
    set_password(app_a, "another-password-for-tests-2")
    answer = client_for(org_a, token).get("/api/me/")
    assert answer.status_code == 401 and answer.json()["code"] == "token_revoked"

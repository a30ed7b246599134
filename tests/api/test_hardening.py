"""The smaller holes found by the outside attack, one test each."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from omgeving.tokens.services import _key, issue_token

from ..helpers import admin_of, client_for, log_in, make_person, totp_code

pytestmark = pytest.mark.django_db
BIN = Path(sys.executable).parent


def _signed(org, **changes):
    """A token signed with the organisation's real key, with some claims changed: what a
    leaked key or a bug in an old release could have minted."""
    now = int(time.time())
    claims = {"user_id": 0, "username": "api", "org": org.slug, "iss": org.host,
              "aud": org.host, "iat": now, "exp": now + 300, "jti": "x", "orig_iat": now,
              "ver": 1}
    claims.update(changes)
    return jwt.encode(claims, _key(org), algorithm="HS256")


NOW = int(time.time())


@pytest.mark.parametrize("changes", [
    {"iat": NOW, "exp": NOW + 10 * 365 * 86400},  # a ten-year token
    {"orig_iat": "yesterday"},
    {"orig_iat": 1e308},
    {"ver": True},
    {"user_id": True},
    {"iat": NOW, "orig_iat": NOW + 3600},  # logged in after the token was made
])
def test_odd_claims_are_refused_not_500(org_a, app_a, changes):
    changes = {"user_id": app_a.pk, "ver": app_a.token_version, **changes}
    token = _signed(org_a, **changes)
    response = client_for(org_a, token).get("/api/users/")
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"
    response = client_for(org_a).post("/api/token-refresh/", {"token": token}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"
    # The same claims with sane values are accepted: the key and shape are right.
    good = _signed(org_a, user_id=app_a.pk, ver=app_a.token_version)
    assert client_for(org_a, good).get("/api/users/").status_code == 200


def test_a_totp_secret_is_shown_to_its_own_user_only(org_a):
    colleague, colleague_device = admin_of(org_a, username="collega")
    me, device = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    other = TOTPDevice.objects.get(user=colleague)
    page = client.get(f"/admin/otp_totp/totpdevice/{other.pk}/change/").content.decode()
    assert other.key not in page and 'name="key"' not in page
    assert client.get(f"/admin/otp_totp/totpdevice/{other.pk}/config/").status_code == 403
    assert client.get(f"/admin/otp_totp/totpdevice/{other.pk}/qrcode/").status_code == 403
    mine = TOTPDevice.objects.get(user=me)
    # One's own key is shown once, while it is set up (tests/accounts/test_admin_scope.py),
    # never again: a confirmed device's key and QR code are nobody's to see.
    assert client.get(f"/admin/otp_totp/totpdevice/{mine.pk}/config/").status_code == 403
    assert client.get(f"/admin/otp_totp/totpdevice/{mine.pk}/qrcode/").status_code == 403
    assert mine.key not in client.get(
        f"/admin/otp_totp/totpdevice/{mine.pk}/change/").content.decode()
    # Removing a colleague's device (a lost phone) is still possible.
    client.post(f"/admin/otp_totp/totpdevice/{other.pk}/delete/", {"post": "yes"})
    assert not TOTPDevice.objects.filter(pk=other.pk).exists()


def test_the_platform_admin_answers_at_the_bare_domain_only(client):
    for host in ("nobody.localhost", "a.b.localhost"):
        assert client.get("/admin/login/", HTTP_HOST=host).status_code == 404
    assert client.get("/admin/login/", HTTP_HOST="localhost").status_code == 200


def test_read_only_fields_in_a_body_are_refused(api_a, org_a):
    joost = make_person(org_a, "joost")
    response = api_a.patch(f"/api/users/{joost.pk}/", {"id": 999, "first_name": "J"},
                           format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "id", "code": "read_only_field",
                                          "detail": "This field is read-only."}]
    joost.refresh_from_db()
    assert joost.first_name == ""


def test_the_embedded_database_is_private(tmp_path):
    env = {**os.environ, "OMGEVING_VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    subprocess.run([BIN / "omgeving", "migrate", "-v0"], env=env, check=True)
    var = tmp_path / "var"
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    for path in var.glob("omgeving.sqlite3*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600


def test_serve_warns_when_app_servers_would_not_share_a_secret(capsys, monkeypatch):
    from omgeving.cli import _warn_about_secret

    monkeypatch.delenv("OMGEVING_SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://db/omgeving")
    _warn_about_secret()
    assert "OMGEVING_SECRET_KEY is not set" in capsys.readouterr().err
    monkeypatch.setenv("OMGEVING_SECRET_KEY", "x" * 50)
    _warn_about_secret()
    assert capsys.readouterr().err == ""


def test_issued_tokens_pass_the_stricter_checks(org_a, app_a):
    token = issue_token(app_a).token
    assert client_for(org_a, token).get("/api/users/").status_code == 200
    response = client_for(org_a).post("/api/token-refresh/", {"token": token}, format="json")
    assert response.status_code == 200

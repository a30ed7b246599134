"""An organisation's administrator creates an Application user in a real browser; the new
user gets a token over HTTP; the administrator of another organisation cannot see it."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from django_otp.plugins.otp_totp.models import TOTPDevice

from omgeving.accounts import services
from omgeving.accounts.models import Role, User
from omgeving.accounts.otp import add_totp_device

from ..helpers import ADMIN_PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_APP_PASSWORD = "a-browser-made-password-7"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def org_url(live_server, org, path):
    return f"http://{org.slug}.localhost:{live_server.url.rsplit(':', 1)[1]}{path}"


def make_admin(org):
    user = services.create_user(organization=org, username=f"beheer-{org.slug}",
                                roles=[Role.ADMINISTRATOR], password=ADMIN_PASSWORD)
    add_totp_device(user)
    return user


def code_for(org, username):
    device = TOTPDevice.objects.filter(user__organization=org, user__username=username).first()
    return totp_code(device) if device else "000000"


def log_in(page, live_server, org, username=None):
    username = username or f"beheer-{org.slug}"
    page.goto(org_url(live_server, org, "/admin/"))
    page.fill("#id_username", username)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.fill("#id_otp_token", code_for(org, username))
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")  # only a signed-in page has it
    assert org.name in page.inner_text("#site-name")


def test_administrator_creates_an_application_user(page, live_server, org_a, org_b):
    make_admin(org_a)
    make_admin(org_b)

    log_in(page, live_server, org_a)
    page.goto(org_url(live_server, org_a, "/admin/accounts/user/add/"))

    # Application cannot be combined with another role type: the form says so.
    page.fill("#id_username", "koppeling")
    page.check("input[name=roles][value=APPLICATION]")
    page.check("input[name=roles][value=COUNSELOR]")
    page.fill("#id_password", NEW_APP_PASSWORD)
    page.fill("#id_password_confirm", NEW_APP_PASSWORD)
    page.click("input[name=_save]")
    assert "Application only" in page.inner_text(".errorlist")
    assert not User.objects.filter(username="koppeling").exists()

    page.uncheck("input[name=roles][value=COUNSELOR]")
    page.check("input[name=grants][value='users:read']")
    page.fill("#id_password", NEW_APP_PASSWORD)
    page.fill("#id_password_confirm", NEW_APP_PASSWORD)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    page.screenshot(path=str(SCREENSHOTS / "admin-user-created.png"), full_page=True)
    user = User.objects.get(username="koppeling")
    assert user.organization == org_a and user.roles == ["APPLICATION"]
    assert user.grants == ["users:read"]

    # The new Application user uses the API over HTTP.
    host = org_url(live_server, org_a, "").split("//")[1]
    response = requests.post(live_server.url + "/api/token-auth/", timeout=10,
                             headers={"Host": host},
                             json={"username": "koppeling", "password": NEW_APP_PASSWORD})
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    response = requests.get(live_server.url + "/api/users/", timeout=10,
                            headers={"Host": host, "Authorization": f"JWT {token}"})
    assert response.status_code == 200
    assert {u["username"] for u in response.json()["results"]} == {"beheer-org-a", "koppeling"}
    # It holds only what the administrator ticked: no writes.
    response = requests.post(live_server.url + "/api/users/", timeout=10,
                             headers={"Host": host, "Authorization": f"JWT {token}"},
                             json={"username": "x", "roles": ["CLIENT"]})
    assert response.status_code == 403 and response.json()["code"] == "missing_grant"

    # The administrator of organisation B sees only B's users, and not A's new one.
    page.context.clear_cookies()
    log_in(page, live_server, org_b)
    page.goto(org_url(live_server, org_b, "/admin/accounts/user/"))
    listing = page.inner_text("#result_list")
    assert "beheer-org-b" in listing
    assert "koppeling" not in listing and "beheer-org-a" not in listing
    page.goto(org_url(live_server, org_b, f"/admin/accounts/user/{user.pk}/change/"))
    assert "koppeling" not in page.content()
    assert page.url.endswith("/admin/")  # Django redirects a missing object to the index

    # B's administrator cannot log in at A's host.
    page.context.clear_cookies()
    page.goto(org_url(live_server, org_a, "/admin/"))
    page.fill("#id_username", "beheer-org-b")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.fill("#id_otp_token", code_for(org_b, "beheer-org-b"))
    page.click("input[type=submit]")
    page.wait_for_selector(".errornote")  # the login page again, with the refusal
    assert "/login/" in page.url


def test_application_user_cannot_enter_the_admin(page, live_server, org_a):
    services.create_user(organization=org_a, username="beheer", roles=[Role.APPLICATION],
                         password=ADMIN_PASSWORD)
    page.goto(org_url(live_server, org_a, "/admin/"))
    page.fill("#id_username", "beheer")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.fill("#id_otp_token", "123456")
    page.click("input[type=submit]")
    page.wait_for_selector(".errornote")
    assert "/login/" in page.url and page.locator("#user-tools").count() == 0

"""The interactive API documentation renders in a real browser under its strict CSP."""

from __future__ import annotations

import pytest
import requests

from ..helpers import APP_PASSWORD, make_app, make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_without_csp_violations(page, live_server, org_a):
    port = live_server.url.rsplit(":", 1)[1]
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"http://org-a.localhost:{port}/api/docs/")
    page.wait_for_selector(".swagger-ui .information-container .title")
    assert "Omgeving API" in page.inner_text(".swagger-ui .information-container .title")
    page.wait_for_selector("text=/api/users/")
    assert not [p for p in problems if "Content Security Policy" in p], problems


def test_try_it_out_reaches_the_server(page, live_server, org_a):
    """An integrator authorises with a token and runs GET /api/users/ from the docs page:
    the live schema names this host as its server, and the page's CSP lets the call through."""
    make_app(org_a)
    make_person(org_a, "joost")
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://org-a.localhost:{port}"
    token = requests.post(f"{live_server.url}/api/token-auth/", timeout=10,
                          headers={"Host": f"org-a.localhost:{port}"},
                          json={"username": "api", "password": APP_PASSWORD}).json()["token"]
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/api/docs/")
    page.click(".swagger-ui .btn.authorize")
    page.fill(".swagger-ui .modal-ux input", f"JWT {token}")
    page.click(".swagger-ui .modal-ux .auth-btn-wrapper .btn.authorize")
    page.click(".swagger-ui .modal-ux .btn-done")
    page.click("#operations-users-users_list .opblock-summary")
    page.click("#operations-users-users_list .try-out__btn")
    page.click("#operations-users-users_list .btn.execute")
    status = page.wait_for_selector(
        "#operations-users-users_list .live-responses-table .response .response-col_status")
    assert status.inner_text().strip() == "200", problems
    body = page.inner_text("#operations-users-users_list .live-responses-table .microlight")
    assert '"username": "joost"' in body
    request_url = page.inner_text("#operations-users-users_list .request-url pre")
    assert request_url.strip() == f"{base}/api/users/"
    assert not [p for p in problems if "Content Security Policy" in p], problems

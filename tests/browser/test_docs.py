"""The interactive API documentation renders in a real browser under its strict CSP."""

from __future__ import annotations

import pytest

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

from __future__ import annotations

import re

import pytest

from omgeving.security import API_POLICY, PAGE_POLICY

pytestmark = pytest.mark.django_db


def test_api_answers_are_not_cached_framed_or_sniffed(api_a):
    response = api_a.get("/api/users/")
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Security-Policy"] == API_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_errors_are_not_cached_either(anon_a):
    response = anon_a.get("/api/users/")
    assert response.status_code == 401 and response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/"])
def test_pages_have_a_content_security_policy(anon_a, path):
    response = anon_a.get(path)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == PAGE_POLICY
    # The policy allows no inline script, so the page must carry none.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())


def test_docs_page_has_no_inline_script(anon_a):
    html = anon_a.get("/api/docs/").content.decode()
    assert "<script>" not in html and "?script" in html
    script = anon_a.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()

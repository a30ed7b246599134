"""Input limits (omgeving/api/limits.py, api/parsers.py): every bad input is a documented
problem+json answer, never a 500, and nothing is written."""

from __future__ import annotations

import io
import logging

import pytest

from omgeving.accounts.models import User

from .test_errors import assert_problem

pytestmark = pytest.mark.django_db


def test_a_json_body_over_the_limit_is_413_unread(api_a, settings):
    body = '{"username": "' + "x" * (1024 * 1024) + '", "roles": ["CLIENT"]}'
    assert_problem(api_a.post("/api/users/", body, content_type="application/json"),
                   413, "body_too_large")


def test_token_endpoints_take_small_bodies_only(anon_a):
    # A 300 MB upload is refused on its declared length, before anything reads or spools it.
    response = anon_a.generic("POST", "/api/token-auth/", b"",
                              content_type="multipart/form-data; boundary=x",
                              CONTENT_LENGTH="300000000")
    assert_problem(response, 413, "body_too_large")
    big = '{"username": "api", "password": "' + "p" * 9000 + '"}'
    assert_problem(anon_a.post("/api/token-auth/", big, content_type="application/json"),
                   413, "body_too_large")


def test_chunked_bodies_the_server_did_not_read_are_411(anon_a):
    response = anon_a.generic("POST", "/api/token-auth/", b"", content_type="application/json",
                              HTTP_TRANSFER_ENCODING="chunked")
    assert_problem(response, 411, "length_required")


def test_too_many_query_parameters_is_400(api_a):
    query = "&".join(f"p{i}=1" for i in range(1001))
    assert_problem(api_a.get(f"/api/users/?{query}"), 400, "too_many_parameters")


def test_too_many_form_fields_is_400(anon_a):
    body = "&".join(f"f{i}=1" for i in range(1001))
    response = anon_a.post("/api/token-auth/", body,
                           content_type="application/x-www-form-urlencoded")
    assert_problem(response, 400, "too_many_parameters")


def test_deep_nesting_is_400(api_a):
    for depth in (50_000, 40):
        body = "[" * depth + "]" * depth
        assert_problem(api_a.post("/api/users/", body, content_type="application/json"),
                       400, "nesting_too_deep")


@pytest.mark.parametrize("shape", ["[{}]", '[{"a": 1}]', '{"a": {}}', '[["x"]]'])
def test_32_levels_are_parsed_and_33_refused(api_a, shape):
    """The documented bound (docs/api.md): 32 objects and arrays inside one another pass the
    parser (the serializer then answers), the 33rd is refused before it. `shape` is the
    innermost two levels; a scalar at the deepest level is not a level of its own."""
    def nested(levels):
        outer = levels - 2
        return "[" * outer + shape + "]" * outer

    answer = api_a.post("/api/users/", nested(32), content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] != "nesting_too_deep"
    assert_problem(api_a.post("/api/users/", nested(33), content_type="application/json"),
                   400, "nesting_too_deep")


def test_lone_surrogates_are_400(api_a):
    count = User.objects.count()
    for body in ('{"\\ud800": 1}', '{"username": "a\\udfff", "roles": ["CLIENT"]}'):
        assert_problem(api_a.post("/api/users/", body, content_type="application/json"),
                       400, "invalid_unicode")
    response = api_a.post("/api/users/", b'{"username": "\xff"}',
                          content_type="application/json")
    assert_problem(response, 400, "invalid_unicode")
    assert User.objects.count() == count


def _console_handler() -> logging.StreamHandler:
    """The handler settings.LOGGING configured on the root logger (what production writes)."""
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert len(handlers) == 1
    return handlers[0]


def test_a_bad_host_logs_one_line(client):
    # Through the configured console handler and its filters, as the server writes it: the
    # test does not run the filter itself, so dropping it from LOGGING fails here.
    handler, written = _console_handler(), io.StringIO()
    # (its stream swapped without flushing the old one: an earlier test's captured stderr
    # may be closed by now)
    previous, handler.stream = handler.stream, written
    try:
        response = client.get("/admin/", HTTP_HOST="evil.example.com")
    finally:
        handler.stream = previous
    assert response.status_code == 400
    lines = written.getvalue().splitlines()
    security = [line for line in lines if "django.security.DisallowedHost" in line]
    assert len(security) == 1 and "evil.example.com" in security[0]
    assert not [line for line in lines if "Traceback" in line or line.startswith("  File")]


def test_the_console_handler_carries_the_one_line_filter():
    from django.conf import settings

    assert "one_line_security" in settings.LOGGING["handlers"]["console"]["filters"]

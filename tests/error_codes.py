"""Every problem the test suite receives is documented: its `code` is listed under its status
on its operation in docs/openapi.yaml (which takes them from omgeving.errors.CODES and the
services' `raises`). Each problem answer of a Django test client is recorded; at the end of
the session the records are compared with the schema, and an undocumented code fails the run
(tests/conftest.py)."""

from __future__ import annotations

import json
import re

from django.test.client import Client
from django.urls import Resolver404

from omgeving.errors import FIELD_CODES

SEEN: set[tuple[str, str, str, str]] = set()  # (path, method, status, code)
WRONG_TITLES: set[tuple[str, str, str]] = set()  # (code, language, title served)
_original = Client.request


def _check_title(response, body: dict) -> None:
    """Every problem's title is its code's registered text in the answer's language."""
    from django.utils import translation

    from omgeving.api.problems import title_of

    language = response.get("Content-Language", "en")
    with translation.override(language):
        expected = title_of(body.get("code", ""), response.status_code)
    if body.get("title") != expected:
        WRONG_TITLES.add((str(body.get("code")), language, str(body.get("title"))))


def _recording_request(self, **request):
    response = _original(self, **request)
    if response.get("Content-Type", "").startswith("application/problem+json"):
        try:
            _check_title(response, json.loads(response.content))
        except ValueError:
            pass
        try:
            route = response.resolver_match.route
        except Resolver404:
            return response
        path = "/" + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", route).replace("{pk}", "{id}")
        code = json.loads(response.content).get("code")
        SEEN.add((path, request["REQUEST_METHOD"].lower(), str(response.status_code), code))
    return response


def start() -> None:
    Client.request = _recording_request


def undocumented(schema: dict) -> list[str]:
    problems = [f"`{code}` served with the title {title!r} in {language}, not its registered "
                f"text (omgeving.errors.CODES)" for code, language, title in sorted(WRONG_TITLES)]
    for path, method, status, code in sorted(SEEN):
        operation = schema["paths"].get(path, {}).get(method)
        if operation is None:
            continue  # a method the path does not have (405) or no API path at all
        response = operation["responses"].get(status)
        if response is None:
            problems.append(f"{method.upper()} {path}: status {status} ({code}) undocumented")
            continue
        content = response.get("content", {}).get("application/problem+json", {})
        documented = set(content.get("examples", {}))
        if status == "400" and ("requestBody" in operation or any(
                p.get("in") == "query" for p in operation.get("parameters", []))):
            documented |= set(FIELD_CODES)
        if code not in documented:
            problems.append(f"{method.upper()} {path}: {status} `{code}` undocumented")
    return problems

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .schema_util import committed_schema, generated_schema, is_authenticated, operations


def test_committed_schema_matches_the_code():
    """Regenerate with `make schema` when this fails, and review the diff."""
    generated = json.loads(json.dumps(generated_schema()))  # plain types, as YAML gives
    assert generated == committed_schema()


def test_every_operation_documents_its_status_codes():
    for path, method, operation in operations(committed_schema()):
        codes = set(operation["responses"])
        expected = {"404", "406", "500"}
        if is_authenticated(operation):
            expected |= {"401", "403"}
        if "requestBody" in operation:
            expected |= {"400", "415"}
        assert expected <= codes, (path, method, expected - codes)
        assert any(c.startswith("2") for c in codes), (path, method)


def test_jwt_security_scheme_is_documented():
    scheme = committed_schema()["components"]["securitySchemes"]["jwtAuth"]
    assert scheme["in"] == "header" and scheme["name"] == "Authorization"
    assert "JWT <token>" in scheme["description"]


@pytest.mark.django_db
def test_schema_and_docs_are_served(anon_a):
    response = anon_a.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/users/" in json.loads(response.content)["paths"]
    response = anon_a.get("/api/docs/")
    assert response.status_code == 200 and b"swagger" in response.content.lower()


@pytest.mark.django_db
def test_the_live_schemas_server_is_the_host_that_served_it(anon_a, org_b):
    """So that "Try it out" calls this organisation (tests/browser/test_docs.py clicks it)."""
    accept = {"HTTP_ACCEPT": "application/vnd.oai.openapi+json"}
    body = json.loads(anon_a.get("/api/schema/", **accept).content)
    assert body["servers"] == [{"url": "http://org-a.localhost",
                                "description": "this organisation"}]
    body = json.loads(anon_a.get("/api/schema/", HTTP_HOST="org-b.localhost:8123",
                                 **accept).content)
    assert body["servers"][0]["url"] == "http://org-b.localhost:8123"
    assert committed_schema()["servers"][0]["url"] == "https://{organization}.example.org"


def test_token_bodies_are_documented_as_json_only():
    """One body under three media types made openapi-python-client's token modules fail to
    import; forms are still accepted (tests/tokens) and said so in the description."""
    for path in ("/api/token-auth/", "/api/token-refresh/", "/api/token-verify/",
                 "/api/api-token-auth/", "/api/api-token-refresh/"):
        operation = committed_schema()["paths"][path]["post"]
        assert list(operation["requestBody"]["content"]) == ["application/json"], path
        assert "as a form" in operation["description"], path


@pytest.mark.django_db
def test_api_root_needs_no_token_and_names_the_resources(anon_a):
    body = anon_a.get("/api/").json()
    assert body["organization"] == "org-a"
    assert body["links"]["users"] == "http://org-a.localhost/api/users/"
    assert body["links"]["token_auth"].endswith("/api/token-auth/")


def test_no_schema_is_described_by_the_plumbings_docstrings():
    """Developer notes of base classes (inherited docstrings) are not API documentation."""
    import inspect

    from omgeving.api.serializers import StrictSerializerMixin
    from omgeving.network.api.serializers import OrganizationScopedFields

    text = json.dumps(committed_schema())
    for cls in (StrictSerializerMixin, OrganizationScopedFields):
        first_line = inspect.cleandoc(cls.__doc__).splitlines()[0]
        assert json.dumps(first_line)[1:-1] not in text, cls


def test_problem_examples_differ_per_status_and_code():
    schema = committed_schema()
    examples = schema["components"]["examples"]
    responses = schema["paths"]["/api/relations/"]["post"]["responses"]
    for status in ("400", "401", "403", "404", "409"):
        refs = responses[status]["content"]["application/problem+json"]["examples"]
        for code, ref in refs.items():
            value = examples[ref["$ref"].rsplit("/", 1)[1]]["value"]
            assert value["code"] == code and str(value["status"]) == status
    assert {"duplicate_relation", "external_id_taken"} <= set(
        responses["409"]["content"]["application/problem+json"]["examples"])
    assert {"client_to_client", "not_a_client", "self_relation"} <= set(
        responses["400"]["content"]["application/problem+json"]["examples"])
    assert "username_taken" not in responses["409"]["description"]  # a relation never says it


def test_the_schema_reads_well():
    """Deliberate tag order (tokens first, deprecated last, every tag listed), a summary on
    every operation, English articles and plurals, pagination examples of this API."""
    import re

    import yaml

    from omgeving.api.schema_tags import TAGS

    text = (Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text()
    schema = yaml.safe_load(text)
    order = [t["name"] for t in schema["tags"]]
    assert order == [name for name, _ in TAGS]
    assert order[:3] == ["token-auth", "token-refresh", "token-verify"]
    assert order[-2:] == ["api-token-auth", "api-token-refresh"]
    used = {tag for item in schema["paths"].values() for op in item.values()
            for tag in op.get("tags", [])}
    assert used <= set(order), used - set(order)
    summaries = [op.get("summary", "") for item in schema["paths"].values()
                 for op in item.values()]
    assert all(summaries), "an operation without a summary"
    for summary in summaries:
        assert not re.search(r"\ba [aeio]", summary), summary
        assert not re.search(r"(statuss|ys)\b", summary), summary
    assert "api.example.org" not in text

"""A client generated from docs/openapi.yaml by openapi-python-client (a mainstream generator)
works: every module imports, and the seed's flow and a relation create run against a live
server with the parsed answers read back."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from omgeving.accounts.models import Role
from omgeving.care.files import ALLOWED

from ..helpers import APP_PASSWORD, make_app, make_person

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PACKAGE = "omgeving_generated"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("generated")
    # A download answers its file's own type (PDF, PNG, JPEG, DOCX): the generator is told to
    # read those as bytes, as docs/content.md tells integrators.
    config = folder / "config.json"
    config.write_text(json.dumps({"content_type_overrides": dict.fromkeys(
        ALLOWED, "application/octet-stream")}))
    result = subprocess.run(
        [BIN / "openapi-python-client", "generate", "--path", ROOT / "docs" / "openapi.yaml",
         "--output-path", folder / PACKAGE, "--meta", "none", "--config", config],
        capture_output=True, text=True, timeout=300,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(folder)})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "Skipping" not in output, output  # nothing left out
    sys.path.insert(0, str(folder))
    yield folder / PACKAGE
    sys.path.remove(str(folder))
    for name in [n for n in sys.modules if n.startswith(PACKAGE)]:
        del sys.modules[name]


def _module(name):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_every_generated_module_imports(generated):
    modules = sorted(".".join(path.relative_to(generated).with_suffix("").parts)
                     .removesuffix(".__init__") for path in generated.rglob("*.py"))
    assert len(modules) > 100 and "api.token_auth.token_auth" in modules
    for name in modules:
        importlib.import_module(f"{PACKAGE}.{name}" if name != "__init__" else PACKAGE)
    untyped = [f"{path.name}: {line.strip()}" for path in (generated / "models").glob("*.py")
               for line in path.read_text().splitlines()
               if re.match(r"    \w+: .*\bAny\b", line) and "additional_properties" not in line]
    assert untyped == []  # every field has a type (email was Any)


@pytest.mark.django_db(transaction=True)
def test_the_seed_flow_and_a_relation_with_the_generated_client(generated, live_server, org_a):
    make_app(org_a)
    joost = make_person(org_a, "joost", Role.CLIENT)
    ans = make_person(org_a, "ans", Role.GUARDIAN)
    client_module = _module("client")
    models = _module("models")
    host = {"Host": f"org-a.localhost:{live_server.url.rsplit(':', 1)[1]}"}

    anonymous = client_module.Client(base_url=live_server.url, headers=host)
    credentials = models.CredentialsRequest(username="api", password=APP_PASSWORD)
    token = _module("api.token_auth.token_auth").sync(client=anonymous, body=credentials)
    assert isinstance(token, models.Token) and token.expires_in == 300

    api = client_module.AuthenticatedClient(base_url=live_server.url, headers=host,
                                            token=token.token, prefix="JWT")
    people = _module("api.users.users_list").sync(client=api)
    assert {person.username for person in people.results} == {"api", "joost", "ans"}

    refreshed = _module("api.token_refresh.token_refresh").sync(
        client=anonymous, body=models.RefreshRequest(username="api", password=APP_PASSWORD))
    assert isinstance(refreshed, models.Token)

    response = _module("api.relations.relations_create").sync_detailed(
        client=api, body=models.RelationRequest(
            client=joost.pk, person=ans.pk,
            authorisation=models.RelationAuthorisationEnum.GUARDIAN))
    assert response.status_code == 201
    relation = response.parsed
    assert isinstance(relation, models.Relation), response.content
    assert (relation.client, relation.person, relation.is_active) == (joost.pk, ans.pk, True)

    again = _module("api.relations.relations_create").sync_detailed(
        client=api, body=models.RelationRequest(
            client=joost.pk, person=ans.pk,
            authorisation=models.RelationAuthorisationEnum.GUARDIAN))
    assert again.status_code == 409
    assert isinstance(again.parsed, models.Problem)
    assert again.parsed.code == "duplicate_relation"

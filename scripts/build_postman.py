"""Build docs/postman/omgeving.postman_collection.json (Postman v2.1) from docs/openapi.yaml.

    .venv/bin/python scripts/build_postman.py          # write the collection
    .venv/bin/python scripts/build_postman.py --check  # exit 1 if the committed file differs

The collection has:
- "Getting started": the JO documentation's flow — get a token with username and password,
  call /api/users/ with `Authorization: JWT <token>`, renew it with the token itself, and see
  the 401 a call without a token gets;
- a folder per resource (OpenAPI tag), one request per operation, whose tests assert the
  status code and check the body against the operation's response schema; folders come
  after the folders whose objects their bodies refer to, and deletions come last.

Variables: `baseUrl` (e.g. https://demo.example.org), `host` (sent as the Host header when
set: for servers reached by IP address), `username`, `password` (of the Application user),
and `token` (kept by the scripts). A collection-level pre-request script logs in with username
and password when there is no token, and renews the token with itself when it is older than
four and a half minutes: a run makes three password logins (Getting started and the two login
operations), so it runs three times within the limit of 10 per user per 5 minutes.
tests/api/test_newman.py runs it with newman against a live server and fails on drift.

The parts, by job (scripts/postman/): js/*.js the collection's JavaScript, schema.py
response schemas and example bodies, requests.py one request per operation, overrides.py
what no schema can say. A new resource needs no edits here.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from postman import js  # noqa: E402
from postman.requests import NO_AUTH, operation_request, request, resource_of  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "docs" / "openapi.yaml"
OUT = ROOT / "docs" / "postman" / "omgeving.postman_collection.json"
COLLECTION_ID = "5b0f0c1e-6c1a-4f57-9a43-0d7f3c1e2a10"  # stable, so the file does not drift

JWT_AUTH = {"type": "apikey", "apikey": [
    {"key": "key", "value": "Authorization", "type": "string"},
    {"key": "value", "value": "JWT {{token}}", "type": "string"},
    {"key": "in", "value": "header", "type": "string"},
]}
# Within a folder: create before reading one, deleting last.
METHOD_ORDER = {"post": 0, "get": 1, "put": 2, "patch": 3, "delete": 4}


def _person(name: str, role: str, variable: str) -> dict:
    return request(
        f"{name}: create a {role}", "POST", "/api/users/",
        body={"username": f"postman-{role.lower()}-{{{{$guid}}}}", "roles": [role],
              "first_name": name},
        tests=js.load("create_person", variable=variable))


def _folder_order(folders: dict[str, list]) -> list[str]:
    """Folders without a token first, then each after those whose ids its bodies use."""
    uses = {tag: set(re.findall(r"\{\{(\w+)_id\}\}", json.dumps(items))) for tag, items
            in folders.items()}
    makes = {tag: {resource_of(i["request"]["url"]["raw"].replace("{{baseUrl}}", ""))
                   .replace("-", "_") for i in items if i["request"]["method"] == "POST"}
             for tag, items in folders.items()}
    ordered: list[str] = []
    pending = sorted(folders, key=lambda t: (not t.startswith(("api", "token", "me")), t))
    while pending:
        for tag in pending:
            needed = {other for other in pending if other != tag
                      and uses[tag] & makes[other] - makes[tag]}
            if not needed:
                ordered.append(tag)
                pending.remove(tag)
                break
        else:  # a cycle: keep the rest in name order
            ordered += pending
            break
    return ordered


def build() -> dict:
    schema = yaml.safe_load(SCHEMA.read_text())
    components = schema.get("components", {}).get("schemas", {})
    resources = sorted({resource_of(p) for p in schema["paths"]})
    operations = [(path, method, operation) for path, item in schema["paths"].items()
                  for method, operation in item.items()]
    # Within a resource: the list, then one object and its actions, then nested collections
    # (`/webhooks/{webhook_pk}/deliveries/`), which need what those made.
    operations.sort(key=lambda o: (re.sub(r"\{\w+_pk\}/", "~~", o[0].replace("{id}/", "~")),
                                   METHOD_ORDER[o[1]]))
    folders: dict[str, list] = {}
    deletions = []
    for path, method, operation in operations:
        tag = (operation.get("tags") or ["api"])[0]
        item = operation_request(path, method, operation, components, resources)
        if method == "delete":
            deletions.append((tag, item))  # last: other folders use these objects
        else:
            folders.setdefault(tag, []).append(item)
    order = _folder_order(folders)

    store_token = js.load("store_token")
    getting_started = [
        request("1. Get a token (username and password)", "POST", "/api/token-auth/",
                body={"username": "{{username}}", "password": "{{password}}"}, auth=NO_AUTH,
                tests=store_token, description="Only an Application user gets a token. It "
                "lives 5 minutes."),
        request("2. Call the API with Authorization: JWT <token>", "GET", "/api/users/",
                tests=js.load("getting_started_users")),
        request("3. Renew: the token for a new one", "POST", "/api/token-refresh/",
                body={"token": "{{token}}"}, auth=NO_AUTH, tests=store_token,
                description="A still-valid token for a new one, up to an hour after the "
                "password login. Username and password are taken here too (the JO "
                "documentation's way), but a password login counts against the limit of 10 "
                "per user per 5 minutes (429 too_many_logins); a renewal does not."),
        request("4. Without a token: 401", "GET", "/api/users/", auth=NO_AUTH,
                tests=js.load("getting_started_401")),
        _person("5. A client", "CLIENT", "clientId"),
        _person("6. A parent", "GUARDIAN", "guardianId"),
        _person("7. A counselor", "COUNSELOR", "counselorId"),
    ]
    rank = {tag: i for i, tag in enumerate(order)}
    return {
        "info": {
            "_postman_id": COLLECTION_ID,
            "name": "Omgeving API",
            "description": schema["info"]["description"] + "\n\nSet the variables `baseUrl`, "
            "`username` and `password` (of an Application user); `host` only when the server "
            "is reached by IP address. A run logs in with the password three times and renews "
            "the token with itself otherwise: the server allows 10 password logins per user per "
            "5 minutes (429 too_many_logins), renewals are not counted. Generated from "
            "docs/openapi.yaml by scripts/build_postman.py.",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "auth": copy.deepcopy(JWT_AUTH),
        "event": [js.script("prerequest", js.load("pre_request"))],
        "variable": [
            {"key": "baseUrl", "value": "http://demo.localhost:8000"},
            {"key": "host", "value": ""},
            {"key": "username", "value": "api"},
            {"key": "password", "value": ""},
            {"key": "token", "value": ""},
            {"key": "tokenIssuedAt", "value": ""},
        ],
        "item": [{"name": "Getting started", "item": getting_started}]
        + [{"name": tag, "item": folders[tag]} for tag in order]
        + [{"name": "Deleting", "item": [item for _, item in sorted(
            deletions, key=lambda d: -rank.get(d[0], 0))]}],
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run scripts/build_postman.py")
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

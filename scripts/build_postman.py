"""Build docs/postman/omgeving.postman_collection.json (Postman v2.1) from docs/openapi.yaml.

    .venv/bin/python scripts/build_postman.py          # write the collection
    .venv/bin/python scripts/build_postman.py --check  # exit 1 if the committed file differs

The collection has:
- "Getting started": the JO documentation's flow — get a token with username and password,
  call /api/users/ with `Authorization: JWT <token>`, refresh with username and password,
  and see the 401 a call without a token gets;
- a folder per resource (OpenAPI tag), one request per operation, whose tests assert the
  status code and check the body against the operation's response schema.

Variables: `baseUrl` (e.g. https://demo.example.org), `host` (sent as the Host header when
set: for servers reached by IP address), `username`, `password` (of the Application user),
and `token` (kept by the scripts). A collection-level pre-request script gets a token with
username and password when there is none or it is older than four and a half minutes.
tests/test_newman.py runs it with newman against a live server and fails on drift.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "docs" / "openapi.yaml"
OUT = ROOT / "docs" / "postman" / "omgeving.postman_collection.json"
COLLECTION_ID = "5b0f0c1e-6c1a-4f57-9a43-0d7f3c1e2a10"  # stable, so the file does not drift

PRE_REQUEST = r"""
// Send the Host header when the variable is set (a server reached by IP address).
const host = pm.variables.get('host');
if (host) { pm.request.headers.upsert({ key: 'Host', value: host }); }

// Keep a valid token: get one with username and password when there is none or it is older
// than 4.5 minutes (tokens live 5). Requests marked noauth (the token endpoints) skip this.
const anonymous = pm.request.auth && pm.request.auth.type === 'noauth';
const issued = Number(pm.collectionVariables.get('tokenIssuedAt') || 0);
const fresh = pm.variables.get('token') && Date.now() - issued < 270000;
if (!anonymous && !fresh) {
pm.sendRequest({
  url: pm.variables.get('baseUrl') + '/api/token-auth/',
  method: 'POST',
  header: Object.assign({ 'Content-Type': 'application/json' }, host ? { Host: host } : {}),
  body: { mode: 'raw', raw: JSON.stringify({
    username: pm.variables.get('username'), password: pm.variables.get('password') }) }
}, function (err, res) {
  if (err || res.code !== 200) { throw new Error('Could not get a token: ' + (err || res.code)); }
  pm.collectionVariables.set('token', res.json().token);
  pm.collectionVariables.set('tokenIssuedAt', String(Date.now()));
});
}
""".strip()

STORE_TOKEN = r"""
pm.test('200 with a JWT that lives 300 seconds', function () {
  pm.response.to.have.status(200);
  const body = pm.response.json();
  pm.expect(body.token_type).to.eql('JWT');
  pm.expect(body.expires_in).to.eql(300);
  pm.expect(body.token.split('.').length).to.eql(3);
  pm.collectionVariables.set('token', body.token);
  pm.collectionVariables.set('tokenIssuedAt', String(Date.now()));
});
""".strip()

JWT_AUTH = {"type": "apikey", "apikey": [
    {"key": "key", "value": "Authorization", "type": "string"},
    {"key": "value", "value": "JWT {{token}}", "type": "string"},
    {"key": "in", "value": "header", "type": "string"},
]}
NO_AUTH = {"type": "noauth"}


def _script(kind: str, source: str) -> dict:
    return {"listen": kind, "script": {"type": "text/javascript", "exec": source.splitlines()}}


def _url(path: str) -> dict:
    segments = [s for s in path.strip("/").split("/") if s]
    return {"raw": "{{baseUrl}}/" + "/".join(segments) + "/", "host": ["{{baseUrl}}"],
            "path": [*segments, ""]}


# Fields that refer to other objects take the ids the collection created before.
ID_VARIABLES = {"client": "clientId", "person": "guardianId", "user": "counselorId",
                "counselor": "counselorId", "group": "groups_id",
                "relation_type": "relation_types_id", "status": "care_statuses_id"}

# Bodies a schema cannot make up, and answers that are meant: the collection accepts the
# invitation, so declining with the used token and revoking it afterwards are refused; a care
# status a client has had cannot be deleted.
BODIES = {
    "POST /api/invitations/": {"kind": "network", "client": "@@clientId@@",
                               "email": "new.person@example.org", "authorisation": "EXTERNAL"},
    "POST /api/invitations/accept/": {"token": "{{invitationToken}}"},
    "POST /api/invitations/decline/": {"token": "{{invitationToken}}"},
}
DESIGNED = {
    "POST /api/invitations/decline/": 400,
    "POST /api/invitations/{id}/revoke/": 400,
    "DELETE /api/care-statuses/{id}/": 409,
}


def _json_body(data) -> dict:
    raw = json.dumps(data, indent=2)
    for variable in ID_VARIABLES.values():
        raw = raw.replace(f'"@@{variable}@@"', "{{" + variable + "}}")  # a number, unquoted
    return {"mode": "raw", "raw": raw, "options": {"raw": {"language": "json"}}}


def _request(name, method, path, *, body=None, auth=None, tests="", description=""):
    request = {"method": method, "header": [], "url": _url(path)}
    if body is not None:
        request["header"].append({"key": "Content-Type", "value": "application/json"})
        request["body"] = _json_body(body)
    if auth is not None:
        request["auth"] = auth
    if description:
        request["description"] = description
    item = {"name": name, "request": request, "response": []}
    if tests:
        item["event"] = [_script("test", tests)]
    return item


# --- JSON schema from OpenAPI, for pm.response.to.have.jsonSchema ----------------------------

def _resolve(node, components):
    if isinstance(node, dict):
        if "$ref" in node:
            return _resolve(components[node["$ref"].rsplit("/", 1)[1]], components)
        out = {k: _resolve(v, components) for k, v in node.items()
               if k not in ("readOnly", "writeOnly", "example", "description", "format")}
        if out.pop("nullable", False):
            if "type" in out:
                out["type"] = [out["type"], "null"]
            elif "enum" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
                out = {"anyOf": [out, {"type": "null"}]}
        return out
    if isinstance(node, list):
        return [_resolve(v, components) for v in node]
    return node


# --- example bodies that should succeed ------------------------------------------------------

def _example(schema, components, name=""):
    schema = _resolve(schema, components)
    if name == "roles":
        return ["CLIENT"]  # the API gives care authorisations only
    if name in ID_VARIABLES:
        return f"@@{ID_VARIABLES[name]}@@"
    if name == "authorisation":
        return "GUARDIAN"  # a relation's person is the parent; no more than their default
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        return {key: _example(value, components, key)
                for key, value in schema.get("properties", {}).items()
                if key in schema.get("required", [])}
    if kind == "array":
        return [_example(schema.get("items", {}), components, name)]
    if kind == "integer":
        return 1
    if kind == "boolean":
        return True
    if name == "username":
        return "postman-{{$guid}}"
    if name == "password":
        return "{{password}}"
    if name == "token":
        return "{{token}}"
    return "example"


def _operation_request(path, method, operation, components):
    name = f"{method.upper()} {path}"
    summary = operation.get("summary")
    documented = sorted(int(code) for code in operation["responses"])
    success = DESIGNED.get(name) or next(code for code in documented if 200 <= code < 300)
    authenticated = any("jwtAuth" in r for r in operation.get("security", []))

    body = None
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = _example(content["application/json"]["schema"], components)
        if path.endswith(("token-auth/", "token-refresh/")):
            body = {"username": "{{username}}", "password": "{{password}}"}
        body = BODIES.get(name, body)

    schema = None
    response = operation["responses"][str(success)]
    if success < 300 and "application/json" in response.get("content", {}):
        schema = _resolve(response["content"]["application/json"]["schema"], components)

    resource = path.strip("/").split("/")[1] if path.count("/") > 2 else "root"
    variable = f"{resource.replace('-', '_')}_id"
    lines = [
        f"pm.test('documented status ({', '.join(map(str, documented))})', function () {{",
        f"  pm.expect({json.dumps(documented)}).to.include(pm.response.code);",
        "});",
        f"pm.test('{success} as designed', function () {{",
        f"  pm.response.to.have.status({success});",
        "});",
        "pm.test('JSON, or problem+json for errors', function () {",
        "  const type = pm.response.headers.get('Content-Type') || '';",
        "  if (pm.response.code !== 204) {",
        "    pm.expect(type).to.match(pm.response.code >= 400 ? /^application\\/problem\\+json/"
        " : /^application\\/json/);",
        "  }",
        "});",
    ]
    if schema is not None:
        lines += [
            "pm.test('body matches the OpenAPI response schema', function () {",
            f"  pm.response.to.have.jsonSchema({json.dumps(schema, sort_keys=True)});",
            "});",
        ]
    if method == "post" and "{id}" not in path and success == 201:
        lines.append(f"if (pm.response.code === 201) {{ pm.collectionVariables.set("
                     f"'{variable}', String(pm.response.json().id)); }}")
        lines.append("if (pm.response.code === 201 && pm.response.json().token) { "
                     "pm.collectionVariables.set('invitationToken', pm.response.json().token); }")
    if method == "get" and "{id}" not in path and schema and "results" in json.dumps(schema):
        lines.append(f"if (pm.response.code === 200 && pm.response.json().results.length && "
                     f"!pm.collectionVariables.get('{variable}')) {{ pm.collectionVariables."
                     f"set('{variable}', String(pm.response.json().results[0].id)); }}")
    url_path = path.replace("{id}", "{{" + variable + "}}").replace(
        "{subject_id}", "{{clientId}}")
    return _request(name, method.upper(), url_path, body=body,
                    auth=None if authenticated else NO_AUTH, tests="\n".join(lines),
                    description=summary or "")


# Within a folder: create before reading one, deleting last. Folders: what others refer to
# comes first.
ORDER = {"post": 0, "get": 1, "put": 2, "patch": 3, "delete": 4}
FOLDER_ORDER = ["api", "token-auth", "token-refresh", "token-verify", "api-token-auth",
                "api-token-refresh", "me", "care-statuses", "users", "relation-types",
                "relations", "groups", "group-members", "group-clients", "families",
                "invitations"]


def _person(name: str, role: str, variable: str) -> dict:
    return _request(
        f"{name}: create a {role}", "POST", "/api/users/",
        body={"username": f"postman-{role.lower()}-{{{{$guid}}}}", "roles": [role],
              "first_name": name},
        tests=f"pm.test('201', function () {{ pm.response.to.have.status(201); "
        f"pm.collectionVariables.set('{variable}', String(pm.response.json().id)); }});")


def build() -> dict:
    schema = yaml.safe_load(SCHEMA.read_text())
    components = schema.get("components", {}).get("schemas", {})
    folders: dict[str, list] = {}
    operations = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            operations.append((path, method, operation))
    operations.sort(key=lambda o: (o[0].replace("{id}/", "~"), ORDER[o[1]]))
    deletions = []
    for path, method, operation in operations:
        tag = (operation.get("tags") or ["api"])[0]
        request = _operation_request(path, method, operation, components)
        if method == "delete":
            deletions.append((tag, request))  # last: other folders use these objects
        else:
            folders.setdefault(tag, []).append(request)

    getting_started = [
        _request("1. Get a token (username and password)", "POST", "/api/token-auth/",
                 body={"username": "{{username}}", "password": "{{password}}"}, auth=NO_AUTH,
                 tests=STORE_TOKEN, description="Only an Application user gets a token. It "
                 "lives 5 minutes."),
        _request("2. Call the API with Authorization: JWT <token>", "GET", "/api/users/",
                 tests="pm.test('200 and a page of users', function () {\n"
                 "  pm.response.to.have.status(200);\n"
                 "  pm.expect(pm.response.json().results).to.be.an('array');\n"
                 "  pm.expect(pm.request.headers.get('Authorization')).to.match(/^JWT /);\n"
                 "});"),
        _request("3. Refresh: username and password again", "POST", "/api/token-refresh/",
                 body={"username": "{{username}}", "password": "{{password}}"}, auth=NO_AUTH,
                 tests=STORE_TOKEN),
        _request("4. Without a token: 401", "GET", "/api/users/", auth=NO_AUTH,
                 tests="pm.test('401 problem+json naming the reason', function () {\n"
                 "  pm.response.to.have.status(401);\n"
                 "  pm.expect(pm.response.headers.get('WWW-Authenticate'))"
                 ".to.eql('JWT realm=\"api\"');\n"
                 "  pm.expect(pm.response.json().code).to.eql('not_authenticated');\n"
                 "});"),
    ]
    getting_started += [
        _person("5. A client", "CLIENT", "clientId"),
        _person("6. A parent", "GUARDIAN", "guardianId"),
        _person("7. A counselor", "COUNSELOR", "counselorId"),
    ]
    ranked = sorted(folders.items(), key=lambda f: (
        FOLDER_ORDER.index(f[0]) if f[0] in FOLDER_ORDER else len(FOLDER_ORDER), f[0]))
    return {
        "info": {
            "_postman_id": COLLECTION_ID,
            "name": "Omgeving API",
            "description": schema["info"]["description"] + "\n\nSet the variables `baseUrl`, "
            "`username` and `password` (of an Application user); `host` only when the server "
            "is reached by IP address. Generated from docs/openapi.yaml by "
            "scripts/build_postman.py.",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "auth": copy.deepcopy(JWT_AUTH),
        "event": [_script("prerequest", PRE_REQUEST)],
        "variable": [
            {"key": "baseUrl", "value": "http://demo.localhost:8000"},
            {"key": "host", "value": ""},
            {"key": "username", "value": "api"},
            {"key": "password", "value": ""},
            {"key": "token", "value": ""},
            {"key": "tokenIssuedAt", "value": ""},
        ],
        "item": [{"name": "Getting started", "item": getting_started}]
        + [{"name": tag, "item": items} for tag, items in ranked]
        + [{"name": "Deleting", "item": [request for _, request in sorted(
            deletions, key=lambda d: -FOLDER_ORDER.index(d[0]) if d[0] in FOLDER_ORDER
            else 0)]}],
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

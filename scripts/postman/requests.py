"""Postman request items: one per OpenAPI operation, with tests from its responses."""

from __future__ import annotations

import json
import re

from . import js
from .overrides import BODIES, DESIGNED, FORMS
from .schema import example, id_variable, resolve

NO_AUTH = {"type": "noauth"}


def url(path: str) -> dict:
    segments = [s for s in path.strip("/").split("/") if s]
    return {"raw": "{{baseUrl}}/" + "/".join(segments) + "/", "host": ["{{baseUrl}}"],
            "path": [*segments, ""]}


def json_body(data) -> dict:
    raw = json.dumps(data, indent=2)
    raw = re.sub(r'"@@(\w+)@@"', r"{{\1}}", raw)  # an id variable: a number, unquoted
    return {"mode": "raw", "raw": raw, "options": {"raw": {"language": "json"}}}


def request(name, method, path, *, body=None, auth=None, tests="", description=""):
    item_request = {"method": method, "header": [], "url": url(path)}
    if isinstance(body, FormData):  # multipart: Postman sets the Content-Type and boundary
        item_request["body"] = {"mode": "formdata", "formdata": body.fields}
    elif body is not None:
        item_request["header"].append({"key": "Content-Type", "value": "application/json"})
        item_request["body"] = json_body(body)
    if auth is not None:
        item_request["auth"] = auth
    if description:
        item_request["description"] = description
    item = {"name": name, "request": item_request, "response": []}
    if tests:
        item["event"] = [js.script("test", tests)]
    return item


def resource_of(path: str) -> str:
    return path.strip("/").split("/")[1] if path.count("/") > 2 else "root"


def collection_of(path: str) -> str:
    """The collection an operation's `{id}` (or list) belongs to: for a nested path
    (`/api/webhooks/{webhook_pk}/deliveries/{id}/…`) the inner one, else resource_of."""
    segments = path.strip("/").split("/")[1:]
    parents = [i for i, s in enumerate(segments) if re.fullmatch(r"\{\w+_pk\}", s)]
    if not parents or parents[-1] + 1 >= len(segments):
        return resource_of(path)
    return segments[parents[-1] + 1]


def nested_variables(path: str) -> str:
    """`{webhook_pk}` → the variable of the collection before it (`{{webhooks_id}}`)."""
    return re.sub(r"/([\w-]+)/\{\w+_pk\}/",
                  lambda m: f"/{m.group(1)}/{{{{{id_variable(m.group(1))}}}}}/", path)


class FormData:
    def __init__(self, fields: list[dict]):
        self.fields = fields


def body_of(path, method, operation, components, resources):
    name = f"{method.upper()} {path}"
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content and "application/json" not in content:
        return FormData(FORMS[name])  # KeyError: a multipart operation needs its form here
    if "application/json" not in content:
        return None
    if path.endswith(("token-auth/", "token-refresh/")):
        return BODIES.get(name, {"username": "{{username}}", "password": "{{password}}"})
    return BODIES.get(name, example(content["application/json"]["schema"], components,
                                    resources))


def operation_request(path, method, operation, components, resources):
    name = f"{method.upper()} {path}"
    documented = sorted(int(code) for code in operation["responses"])
    # An operation that can create (201) does so here: its key or name is new each run.
    success = DESIGNED.get(name) or (201 if 201 in documented else next(
        code for code in documented if 200 <= code < 300))
    authenticated = any("jwtAuth" in r for r in operation.get("security", []))
    schema = None
    response = operation["responses"][str(success)]
    if success < 300 and "application/json" in response.get("content", {}):
        schema = resolve(response["content"]["application/json"]["schema"], components)

    variable = id_variable(collection_of(path))
    media = [m for m in response.get("content", {}) if m != "application/json"] or \
        ["application/json"]  # a download answers its file's type
    tests = [js.load("operation_tests", documented_list=", ".join(map(str, documented)),
                     documented=json.dumps(documented), success=str(success),
                     success_media="JSON" if media == ["application/json"] else "The file",
                     success_types="|".join(re.escape(m).replace("/", "\\/")
                                            for m in media))]
    if schema is not None:
        tests.append(js.load("schema_test", schema=json.dumps(schema, sort_keys=True)))
    if method == "post" and "{id}" not in path and success == 201:
        tests.append(js.load("remember_created", variable=variable))
    if method == "get" and "{id}" not in path and schema and "results" in json.dumps(schema):
        tests.append(js.load("remember_listed", variable=variable))
    url_path = nested_variables(path).replace("{id}", "{{" + variable + "}}").replace(
        "{subject_id}", "{{clientId}}").replace("{external_id}", "postman-{{$guid}}")
    return request(name, method.upper(), url_path,
                   body=body_of(path, method, operation, components, resources),
                   auth=None if authenticated else NO_AUTH, tests="\n".join(tests),
                   description=operation.get("summary") or "")

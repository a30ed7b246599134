"""From the OpenAPI: response schemas for pm.response.to.have.jsonSchema, and example
request bodies that should succeed."""

from __future__ import annotations

# The Getting-started folder creates a client, a parent and a counselor; fields that name a
# person take theirs (a relation's `person` is the parent: no more than their default).
PERSON_VARIABLES = {"client": "clientId", "person": "guardianId", "user": "counselorId",
                    "counselor": "counselorId", "author": "clientId",
                    "participants": "clientId"}


def resolve(node, components):
    """Inline $refs; OpenAPI 3.0 `nullable` as JSON Schema's null type."""
    if isinstance(node, dict):
        if "$ref" in node:
            return resolve(components[node["$ref"].rsplit("/", 1)[1]], components)
        out = {k: resolve(v, components) for k, v in node.items()
               if k not in ("readOnly", "writeOnly", "example", "description", "format")}
        if "oneOf" in out:  # without `format`, alternatives may overlap ("" is both a URL
            out["anyOf"] = out.pop("oneOf")  # or blank and a string of length 0)
        if out.pop("nullable", False):
            if "type" in out:
                out["type"] = [out["type"], "null"]
            elif "enum" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
                out = {"anyOf": [out, {"type": "null"}]}
        return out
    if isinstance(node, list):
        return [resolve(v, components) for v in node]
    return node


def id_variable(resource: str) -> str:
    """The collection variable that keeps an id of `resource` (its path segment)."""
    return f"{resource.replace('-', '_')}_id"


def referenced_resource(name: str, resources) -> str | None:
    """The resource an integer field refers to, by its name: `group` → groups,
    `relation_type` → relation-types, `status` → care-statuses."""
    stem = name.replace("_", "-")
    plural = stem + ("es" if stem.endswith("s") else "s")
    matches = [r for r in resources if r == plural or r.endswith("-" + plural)]
    return matches[0] if len(matches) == 1 else None


def reference(name: str, resources) -> str | None:
    """The variable a field takes, when it names a person or another resource."""
    if name in PERSON_VARIABLES:
        return PERSON_VARIABLES[name]
    resource = referenced_resource(name, resources)
    return id_variable(resource) if resource else None


def example(schema, components, resources, name=""):
    schema = resolve(schema, components)
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if name == "roles":
        return ["CLIENT"]  # the API gives care authorisations only
    if name == "authorisation":
        return "GUARDIAN"  # the relation's person is the parent
    if kind in ("integer", None) and reference(name, resources):
        return f"@@{reference(name, resources)}@@"
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        return {key: example(value, components, resources, key)
                for key, value in schema.get("properties", {}).items()
                if key in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {}), components, resources, name)]
    if kind == "integer":
        return 1
    if kind == "boolean":
        return True
    # Names and usernames are unique per organisation: a fresh one each run.
    return {"username": "postman-{{$guid}}", "name": "postman {{$guid}}",
            "password": "{{password}}", "token": "{{token}}"}.get(name, "example")

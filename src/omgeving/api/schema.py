"""OpenAPI: the JWT security scheme and the problem+json answers of every operation."""

from __future__ import annotations

import inspect

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import serializers

from omgeving.errors import CODES, FIELD_CODES

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri",
                 "description": "`urn:omgeving:problem:<code>`."},
        "title": {"type": "string", "description": "What the code means, the same for "
                  "every occurrence (in the request's language): the code's text in the "
                  "list of codes."},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "For people; its wording may change."},
        "code": {"type": "string", "description": "Machine-readable reason: each "
                 "operation lists the codes it can give under each status."},
        "errors": {
            "type": "array",
            "description": "Field errors (400 and 409).",
            "items": {
                "type": "object",
                "required": ["field", "code", "detail"],
                "properties": {
                    "field": {"type": "string", "nullable": True,
                              "description": "Field name or dotted path; null for the whole "
                              "request."},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        },
    },
}

# What each status means; the codes each operation can give follow it (errors.CODES).
HEADLINES = {
    400: "Invalid request: the body, a field, a query parameter or one of the rules.",
    401: "Not authenticated. Carries `WWW-Authenticate: JWT realm=\"api\"`.",
    403: "Authenticated, but not allowed.",
    404: "Not found in this organisation.",
    405: "Method not allowed.",
    406: "The `Accept` header asks for a representation other than JSON.",
    408: "The request body did not arrive in time.",
    409: "Conflicts with existing data, or with a request still running.",
    410: "Gone.",
    411: "A chunked body the server did not read.",
    412: "`If-Match` names another version than the object's current ETag; nothing was changed. "
         "Read it again.",
    413: "The request body is too large; refused before it is read.",
    415: "Not a media type this operation takes.",
    422: "The Idempotency-Key was used for another request.",
    429: "Too many logins; the `Retry-After` header gives the seconds to wait.",
    500: "Unexpected server error.",
    503: "Busy; the `Retry-After` header gives the seconds to wait.",
}


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "omgeving.tokens.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`JWT <token>` (the prefix `JWT`, a space, then the token from "
                "`POST /api/token-auth/`). `Bearer <token>` is accepted too. Tokens live 300 "
                "seconds and are valid only at the organisation that issued them."
            ),
        }


def a(noun: str) -> str:
    """`a goal`, `an appointment` (summaries of generated operations)."""
    return f"{'an' if noun[:1] in 'aeio' else 'a'} {noun}"


def plural(noun: str) -> str:
    """`goals`, `families`, `care statuses`."""
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith("s") else "s")


# Codes of the frame, by what an operation is (the rest come from the services it calls).
ANYWHERE = {"too_many_parameters", "invalid_host", "organization_not_found", "not_acceptable",
            "server_error", "database_busy"}
AUTHENTICATED = {"unknown_parameter", "not_authenticated", "token_invalid", "token_expired",
                 "token_wrong_organization", "token_revoked", "missing_grant"}
WITH_BODY = {"parse_error", "nesting_too_deep", "invalid_unicode", "unknown_field",
             "read_only_field", "invalid", "required", "invalid_content_length",
             "request_timeout", "length_required", "body_too_large", "unsupported_media_type"}
IDEMPOTENT_POST = {"invalid_idempotency_key", "idempotency_key_in_use",
                   "idempotency_key_reused"}
WRITE_ACTIONS = {"create", "update", "partial_update", "upsert", "bulk"}


def operation_codes(view, method: str) -> set[str]:
    """The codes an operation's own code can give: what its handler, its filters, its
    serializer's services and its destroy service declare with `errors.raises`, and
    `feature_disabled` when it belongs to a feature."""
    action = getattr(view, "action", None) or method.lower()
    codes = set(getattr(getattr(view, action, None), "raises", ()))
    if getattr(view, "feature", None):
        codes.add("feature_disabled")
    filterset = getattr(view, "filterset_class", None)
    if action == "list" and filterset is not None:  # a filter's own refusals
        for name in dir(filterset):
            if name.startswith("filter_"):
                codes |= set(getattr(getattr(filterset, name), "raises", ()))
    if action in WRITE_ACTIONS:
        serializer_class = view.get_serializer_class()
        for name in ("save_service", "create", "update", "create_many"):
            codes |= getattr(getattr(serializer_class, name, None), "raises", set())
    if action == "destroy":
        for name in ("destroy_service", "perform_destroy"):
            codes |= getattr(getattr(view, name, None), "raises", set())
    return codes


class AutoSchema(openapi.AutoSchema):
    """Marks each operation with the codes of its own code (`x-raises`, consumed by
    add_problem_responses below)."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            operation["x-raises"] = sorted(operation_codes(self.view, method))
        return operation


def _example(code: str) -> dict:
    status, meaning = CODES[code][0], str(CODES[code][1])
    return {"summary": meaning, "value": {
        "type": f"urn:omgeving:problem:{code}", "title": meaning,
        "status": status, "detail": meaning, "code": code}}


def _document(responses: dict, codes: set[str], with_fields: bool) -> None:
    """One problem response per status of `codes`: the status's headline, each code with its
    meaning, and an example per code."""
    by_status: dict[int, list[str]] = {}
    for code in sorted(codes):
        by_status.setdefault(CODES[code][0], []).append(code)
    for status, status_codes in sorted(by_status.items()):
        lines = [f"- `{code}`: {CODES[code][1]}" for code in status_codes]
        if status == 400 and with_fields:
            lines.append("- a field's or query parameter's own check, under `errors` (and as "
                         "`code` when it is the only error): "
                         + ", ".join(f"`{c}`" for c in FIELD_CODES))
        previous = responses.get(str(status), {})
        responses[str(status)] = {
            "description": HEADLINES[status] + "\n\n" + "\n".join(lines),
            **({"headers": previous["headers"]} if "headers" in previous else {}),
            "content": {"application/problem+json": {
                "schema": PROBLEM_REF,
                "examples": {code: {"$ref": f"#/components/examples/{code}"}
                             for code in status_codes}}},
        }


def add_problem_responses(result, generator, request, public):
    """Postprocessing hook: every operation lists every status code it can return."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    _describe_components(generator, schemas)
    result["components"]["examples"] = {code: _example(code) for code in sorted(CODES)}
    for name, component in schemas.items():
        # Request bodies are strict: an unknown field is a 400 `unknown_field`.
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    versioned = _detail_paths(lambda model, registration: registration.versioned)
    tombstoned = _detail_paths(lambda model, registration: hasattr(model, "all_objects"))
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if operation.get("security") == [{}]:
                # No authentication at all (token endpoints, the root, the schema): an empty
                # list says so; `[{}]` ("optional") made generators demand a token for them.
                operation["security"] = []
            responses = operation.setdefault("responses", {})
            codes = ANYWHERE | set(operation.pop("x-raises", ()))
            authenticated = any("jwtAuth" in r for r in operation.get("security", []))
            if "{" in path:
                codes.add("not_found")
            if path in versioned:
                _conditional(method, operation, responses)
                if method in ("put", "patch", "delete"):
                    codes.add("precondition_failed")
            if path in tombstoned and method in ("get", "put", "patch", "delete"):
                codes.add("deleted")
            if path.endswith("/bulk/") and method == "post":
                _bulk_request(path, operation, result)
                codes |= {"not_a_list", "invalid_length"}
            if path.endswith("/external/{external_id}/") and "200" in responses:
                # An upsert answers the object either way: 201 created, 200 replaced.
                responses["201"] = {**responses["200"], "description": "Created."}
                responses["200"] = {**responses["200"], "description": "Replaced."}
                codes.add("external_id_mismatch")
            if authenticated:
                codes |= AUTHENTICATED
            if "requestBody" in operation:
                codes |= WITH_BODY
            if method == "post" and authenticated:
                codes |= IDEMPOTENT_POST
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    codes |= {"unknown_parameter", "invalid_parameter"}
                    if parameter["name"] == "cursor":
                        codes.add("invalid_cursor")
                    if parameter["name"] == "page":
                        codes.add("not_found")  # a page past the end
                    schema = parameter.get("schema", {})
                    if schema.get("type") == "string" and "enum" not in schema:
                        # An empty value is a 400, never "no filter" (an empty cursor says
                        # "the first page" and declares its minLength 0).
                        schema.setdefault("minLength", 1)
                        # The filters' own bounds (django-filter's max_length is not read by
                        # the generator), and no NUL character (Django refuses it: 400).
                        if parameter["name"] in FILTER_MAX_LENGTH and "maxLength" not in schema:
                            schema["maxLength"] = FILTER_MAX_LENGTH[parameter["name"]]
                        if "format" not in schema and "pattern" not in schema:
                            schema["pattern"] = "^[^\\u0000]*$"
            _document(responses, codes, "requestBody" in operation or any(
                p.get("in") == "query" for p in operation.get("parameters", [])))
    return result


def _own_doc(cls) -> str:
    """The docstring a class writes itself (not a base class's, not Django's generated
    `Model(field, …)`)."""
    doc = (cls.__dict__.get("__doc__") or "") if cls is not None else ""
    if not doc or doc.startswith(f"{cls.__name__}("):
        return ""
    return inspect.cleandoc(doc)


def _describe_components(generator, schemas: dict) -> None:
    """A serializer's schema is described by the serializer's own docstring, else by its
    model's: never by a docstring inherited from the plumbing (a mixin's notes for
    developers)."""
    for component in generator.registry._components.values():
        if component.type != "schemas" or component.name not in schemas:
            continue
        if component.name.startswith("Paginated"):
            schemas[component.name].pop("description", None)  # a page: next, previous, results
            continue
        target = component.object
        cls = target if isinstance(target, type) else type(target)
        if not issubclass(cls, serializers.BaseSerializer):
            continue
        model = getattr(getattr(cls, "Meta", None), "model", None)
        description = _own_doc(cls) or _own_doc(model)
        if description:
            schemas[component.name]["description"] = description
        else:
            schemas[component.name].pop("description", None)


def _detail_paths(which) -> set[str]:
    """`/api/<resource>/{id}/` of every resource in the feed whose model and registration
    pass `which`: those with a version (ETag), those with tombstones (410)."""
    from omgeving.changes.services import REGISTRY

    return {f"/api/{r.resource}/{{id}}/" for model, r in REGISTRY.items() if which(model, r)}


IDEMPOTENCY_PARAMETER = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": "Makes the POST safe to retry: the same key with the same request within "
    "24 hours replays the first answer (`Idempotent-Replayed: true`); with another request "
    "422 `idempotency_key_reused`; while the first still runs 409 `idempotency_key_in_use`."}

FILTER_MAX_LENGTH = {"external_id": 100, "search": 100, "resource": 50}

ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "The object's version, "
                        "quoted: send it in If-Match / If-None-Match."}}


def _conditional(method: str, operation: dict, responses: dict) -> None:
    """ETag on answers with the object; If-None-Match → 304; If-Match → 412 when stale."""
    header = "If-None-Match" if method == "get" else "If-Match"
    if method not in ("get", "put", "patch", "delete"):
        return
    operation.setdefault("parameters", []).append({
        "in": "header", "name": header, "required": False, "schema": {"type": "string"},
        "description": "An ETag of this object: 304 when it is still current." if
        method == "get" else "The ETag you read: 412 if the object changed since."})
    if "200" in responses:
        responses["200"].setdefault("headers", {}).update(ETAG_HEADER)
    if method == "get":
        responses["304"] = {"description": "Not modified: If-None-Match names the current "
                            "version.", "headers": ETAG_HEADER}
    else:
        responses.setdefault("412", {})


def _bulk_request(path: str, operation: dict, result: dict) -> None:
    """A bulk body is `{"items": [...]}` of the resource's own request objects."""
    create = result["paths"].get(path.removesuffix("bulk/"), {}).get("post", {})
    item = create.get("requestBody", {}).get("content", {}).get("application/json", {}).get(
        "schema")
    if item is None:
        return
    schema = {"type": "object", "additionalProperties": False, "required": ["items"],
              "properties": {"items": {"type": "array", "minItems": 1, "maxItems": 1000,
                                       "items": item}}}
    operation["requestBody"] = {"required": True,
                                "content": {"application/json": {"schema": schema}}}

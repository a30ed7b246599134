"""OpenAPI: the JWT security scheme and the problem+json answers of every operation."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri",
                 "example": "urn:omgeving:problem:token_expired"},
        "title": {"type": "string", "example": "Unauthorized"},
        "status": {"type": "integer", "example": 401},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Machine-readable reason.",
                 "example": "token_expired"},
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

DESCRIPTIONS = {
    400: "Invalid request: a field error, a missing field, or an unknown or invalid query "
    "parameter; resources accept no query parameters beyond those documented (`code`: "
    "`invalid`, `required`, `unknown_parameter`, `invalid_parameter`, `invalid_credentials`, "
    "a care-network rule such as `client_to_client`, `not_a_client`, `inactive_person`, "
    "`exceeds_default_authorisation`, `date_out_of_range`; malformed input: `parse_error`, "
    "`nesting_too_deep` (JSON deeper than 32 levels), `invalid_unicode`, `invalid_cursor` (a "
    "list's or the feed's cursor that it did not give), "
    "`too_many_parameters` (over 1000 query parameters or form fields), ...).",
    401: "Not authenticated (`code`: `not_authenticated`, `token_invalid`, `token_expired`, "
    "`token_wrong_organization`, `token_revoked`). Carries `WWW-Authenticate: JWT realm=\"api\"`.",
    403: "Authenticated, but this action is not allowed (`code`: `missing_grant` — the "
    "application lacks the grant named in `detail` —, `role_not_assignable`, "
    "`user_not_manageable`, `permission_denied`).",
    404: "No such object in this organisation, or no active organisation at this host "
    "(`code`: `not_found`, `organization_not_found`).",
    406: "The `Accept` header asks for a representation other than JSON (`code`: "
    "`not_acceptable`).",
    408: "The request body did not arrive in time (`code`: `request_timeout`; the embedded "
    "server waits 30 seconds).",
    409: "Conflicts with existing data, or a request with this Idempotency-Key still runs "
    "(`code`: `username_taken`, `external_id_taken`, `idempotency_key_in_use`, "
    "`duplicate_relation`, `duplicate_membership`, `in_use`, `network_blocks_change` — a "
    "change of a person that would break their relations, each listed under `errors` —, "
    "`conflict`).",
    410: "Gone (`code`: `deleted` — the object was deleted: remove your copy; or "
    "`cursor_expired` — events after this cursor were pruned; the detail says how to "
    "resynchronise).",
    411: "A chunked body the server did not read (`code`: `length_required`); send a "
    "`Content-Length`.",
    412: "`If-Match` names another version than the object's current ETag: it changed since "
    "you read it (`code`: `precondition_failed`); nothing was changed. Read it again.",
    413: "The request body is too large (`code`: `body_too_large`): 8 KiB for the token "
    "endpoints, 1 MiB (OMGEVING_MAX_BODY) for the rest; refused before it is read.",
    415: "The request body is not in a media type the operation takes: JSON, and for the "
    "token endpoints also form or multipart data (`code`: `unsupported_media_type`).",
    429: "Too many failed logins for this username from this address, for this username, or "
    "from this address at this organisation (`code`: `too_many_attempts`), or too many "
    "successful logins of one user (`too_many_logins`); the `Retry-After` header gives the "
    "seconds to wait.",
    503: "Too many password checks at once (`code`: `login_busy`); `Retry-After` says when "
    "to try again.",
    422: "This Idempotency-Key was used for another request (`code`: "
    "`idempotency_key_reused`); use a new key.",
    500: "Unexpected server error (`code`: `server_error`); no internals are disclosed.",
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


def _problem(code: int) -> dict:
    return {"description": DESCRIPTIONS[code],
            "content": {"application/problem+json": {"schema": PROBLEM_REF}}}


def add_problem_responses(result, generator, request, public):
    """Postprocessing hook: every operation lists every status code it can return."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
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
            codes = {400, 404, 406, 500}  # 400: too many query parameters, anywhere
            if path in versioned:
                _conditional(method, operation, responses)
            if path in tombstoned and method in ("get", "put", "patch", "delete"):
                codes.add(410)
            if path.endswith("/bulk/") and method == "post":
                _bulk_request(path, operation, result)
            if path.endswith("/external/{external_id}/") and "200" in responses:
                # An upsert answers the object either way: 201 created, 200 replaced.
                responses["201"] = {**responses["200"], "description": "Created."}
                responses["200"] = {**responses["200"], "description": "Replaced."}
            if any("jwtAuth" in requirement for requirement in operation.get("security", [])):
                codes |= {400, 401, 403}  # 400: every resource rejects unknown parameters
            if "requestBody" in operation:
                codes |= {400, 408, 411, 413, 415}
            if path.endswith("/external/{external_id}/"):
                codes.add(409)  # the same conflicts as POST and PUT
            if method == "post" and any("jwtAuth" in r for r in operation.get("security", [])):
                codes |= {409, 422}
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    codes.add(400)
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
            for code in sorted(codes):
                responses.setdefault(str(code), _problem(code))
            for code, response in responses.items():
                # Codes a view declares itself (e.g. 409) get the shared problem description.
                if int(code) in DESCRIPTIONS and not response.get("content"):
                    responses[code] = _problem(int(code))
    return result


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

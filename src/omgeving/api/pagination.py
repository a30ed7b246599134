"""Pagination of every list, in two modes:

- **page numbers** (the original API's answer, the default): `?page=&page_size=` →
  `{"count", "next", "previous", "results"}`. `count` and `OFFSET` cost time in proportion
  to the organisation (and to the page's depth);
- **cursor** (asked with `?cursor=`: empty for the first page, then the opaque value of the
  `next`/`previous` links) → `{"next", "previous", "results"}`, plus `count` only with
  `?count=true`. Pages are in `id` order and found by keyset (`id > last`), so every page
  costs the same at any depth, and a walk neither skips nor repeats a row while rows are
  inserted (new rows take higher ids and come at the end).

Bad values are a 400, never a silent default.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.response import Response

from .converters import MAX_ID

CURSOR, COUNT = "cursor", "count"


def _error(name: str, message: str, code: str = "invalid_parameter"):
    return exceptions.ValidationError({name: [exceptions.ErrorDetail(message, code=code)]})


def _positive_int(request, name, maximum=None):
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        raise _error(name, _("Must be a whole number between 1 and %(maximum)s.")
                     % {"maximum": maximum} if maximum else
                     _("Must be a whole number of at least 1."))
    return value


class _Keyset(pagination.CursorPagination):
    """DRF's cursor pagination on `id`, with our page size and a 400 for a bad cursor."""

    ordering = "id"
    cursor_query_param = CURSOR
    page_size_query_param = "page_size"

    def __init__(self, page_size: int):
        self.page_size = page_size

    def get_page_size(self, request):
        return self.page_size

    def decode_cursor(self, request):
        """DRF's cursor (`o=<offset>&r=1&p=<last id>`, base64), held to what this list
        hands out: anything else is a 400, never a first page or a database error."""
        if not _well_formed(request.query_params.get(CURSOR, "")):
            raise _error(CURSOR, _("Not a cursor of this list: start with an empty cursor, then "
                         "follow the next and previous links."), "invalid_cursor")
        return super().decode_cursor(request)


def _well_formed(encoded: str) -> bool:
    if encoded == "":
        return True  # the first page
    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
    except (ValueError, UnicodeError):
        return False
    tokens = dict(part.partition("=")[::2] for part in raw.split("&"))
    if not tokens or not set(tokens) <= {"o", "r", "p"} or raw.count("&") != len(tokens) - 1:
        return False
    if any(not (v.isascii() and v.isdigit()) for v in tokens.values()):
        return False
    return int(tokens.get("p", 0)) <= MAX_ID and int(tokens.get("o", 0)) <= 1000 \
        and tokens.get("r", "1") == "1"


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"

    @property
    def page_size(self):
        return settings.PAGE_SIZE_DEFAULT

    @property
    def max_page_size(self):
        return settings.PAGE_SIZE_MAX

    def get_page_size(self, request):
        return _positive_int(request, "page_size", self.max_page_size) or self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        counting = params.get(COUNT)
        if counting not in (None, "true", "false"):
            raise _error(COUNT, _("Must be true or false."))
        self.keyset = None
        if CURSOR not in params:
            if counting is not None:
                raise _error(COUNT, _("Only with cursor paging: page-number answers always "
                             "carry the count."))
            _positive_int(request, "page")
            return super().paginate_queryset(queryset, request, view)
        if "page" in params:
            raise _error("page", _("Either page or cursor, not both."))
        self.keyset = _Keyset(self.get_page_size(request))
        self.cursor_count = queryset.count() if counting == "true" else None
        return self.keyset.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self.keyset is None:
            return super().get_paginated_response(data)
        body = {"next": self.keyset.get_next_link(),
                "previous": self.keyset.get_previous_link(), "results": data}
        if self.cursor_count is not None:
            body = {"count": self.cursor_count, **body}
        return Response(body)

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["required"] = ["next", "previous", "results"]
        answer["properties"]["count"]["description"] = (
            "All matching objects: always with page numbers; with a cursor only when asked "
            "with count=true.")
        # This API's own links, not DRF's http://api.example.org/accounts/?page=4.
        answer["properties"]["next"]["example"] = (
            "https://demo.example.org/api/users/?cursor=cD0xMjM%3D")
        answer["properties"]["previous"]["example"] = (
            "https://demo.example.org/api/users/?cursor=cj0xJnA9MTAx")
        return answer

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"]["minimum"] = 1
            if param["name"] == "page_size":
                param["schema"]["maximum"] = self.max_page_size
                param["description"] = (
                    f"Results per page, 1 to {self.max_page_size} (default "
                    f"{self.page_size}). Out of range → 400.")
        return [*params, {
            "name": CURSOR, "in": "query", "required": False,
            "schema": {"type": "string", "minLength": 0, "maxLength": 200,
                       "pattern": "^[A-Za-z0-9+/=]*$"},
            "description": "Cursor paging (constant cost at any depth, `id` order): empty for "
            "the first page, then the value from the `next` or `previous` link. Not with "
            "`page`. The answer has no `count` unless `count=true`."}, {
            "name": COUNT, "in": "query", "required": False,
            "schema": {"type": "string", "enum": ["true", "false"]},
            "description": "With `cursor`: `true` adds `count` (its cost grows with the "
            "organisation)."}]

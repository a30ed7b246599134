"""JSON bodies, strictly: bounded nesting and Unicode text only (see api/limits.py)."""

from __future__ import annotations

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def _check(value, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise exceptions.ParseError(_("JSON nested deeper than %(depth)s levels.")
                                    % {"depth": MAX_DEPTH}, code="nesting_too_deep")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise exceptions.ParseError(_("A JSON string is not valid Unicode text (a lone "
                                        "surrogate)."), code="invalid_unicode") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            raw = stream.read().decode(encoding) if stream is not None else ""
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(_("The body is not valid UTF-8."),
                                        code="invalid_unicode") from exc
        try:
            data = json.loads(raw, parse_constant=self._refuse_constant)
        except RecursionError as exc:
            raise exceptions.ParseError(_("JSON nested deeper than %(depth)s levels.")
                                        % {"depth": MAX_DEPTH},
                                        code="nesting_too_deep") from exc
        except ValueError as exc:
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc},
                                        code="parse_error") from exc
        _check(data)
        return data

    @staticmethod
    def _refuse_constant(name):
        raise ValueError(f"{name} is not valid JSON")

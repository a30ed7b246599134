"""JSON bodies, strictly: bounded nesting and Unicode text only (see api/limits.py)."""

from __future__ import annotations

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def _too_deep() -> exceptions.ParseError:
    return exceptions.ParseError(_("JSON nested deeper than %(depth)s levels.")
                                 % {"depth": MAX_DEPTH}, code="nesting_too_deep")


def _check_text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise exceptions.ParseError(_("A JSON string is not valid Unicode text (a lone "
                                    "surrogate)."), code="invalid_unicode") from exc


def _check(value, outer: int = 0) -> None:
    """Unicode text only, and at most MAX_DEPTH objects and arrays inside one another (`outer`:
    how many enclose `value`; a scalar inside the 32nd is fine)."""
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict | list):
        if outer >= MAX_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            for key in value:
                _check_text(key)
        for item in (value.values() if isinstance(value, dict) else value):
            _check(item, outer + 1)


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
            raise _too_deep() from exc
        except ValueError as exc:
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc},
                                        code="parse_error") from exc
        _check(data)
        return data

    @staticmethod
    def _refuse_constant(name):
        raise ValueError(f"{name} is not valid JSON")

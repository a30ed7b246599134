from __future__ import annotations

from pathlib import Path

import yaml
from drf_spectacular.generators import SchemaGenerator

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def generated_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def committed_schema() -> dict:
    return yaml.safe_load(SCHEMA_FILE.read_text())


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def is_authenticated(operation: dict) -> bool:
    return any("jwtAuth" in req for req in operation.get("security", []))

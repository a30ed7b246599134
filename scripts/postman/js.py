"""The collection's JavaScript lives in scripts/postman/js/*.js; `__NAME__` marks a value
the builder fills in."""

from __future__ import annotations

from pathlib import Path

DIR = Path(__file__).with_name("js")


def load(name: str, **values: str) -> str:
    source = (DIR / f"{name}.js").read_text().strip()
    for key, value in values.items():
        source = source.replace(f"__{key.upper()}__", value)
    return source


def script(kind: str, source: str) -> dict:
    return {"listen": kind, "script": {"type": "text/javascript", "exec": source.splitlines()}}

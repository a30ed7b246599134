"""The Postman collection integrators use, run by newman against a live server."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..serving.test_slow_clients import BIN, _free_port, _start
from ..serving.test_two_servers import _database_url

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ROOT / "docs" / "postman" / "omgeving.postman_collection.json"
NEWMAN = ROOT / "node_modules" / ".bin" / "newman"


def test_collection_is_generated_from_the_openapi():
    """Regenerate with `scripts/build_postman.py` when this fails."""
    result = subprocess.run([sys.executable, "scripts/build_postman.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_collection_covers_every_operation():
    import yaml

    schema = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    operations = {f"{m.upper()} {p}" for p, item in schema["paths"].items() for m in item}
    collection = json.loads(COLLECTION.read_text())
    requests = {i["name"] for folder in collection["item"][1:] for i in folder["item"]}
    assert collection["item"][-1]["name"] == "Deleting"
    assert requests == operations
    assert collection["item"][0]["name"] == "Getting started"
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")


@pytest.fixture
def demo(tmp_path, transactional_db):
    """`make run`'s own steps (`omgeving demo`, then `omgeving serve`) on the suite's database;
    yields the port and the credentials they print."""
    env = {**os.environ, "DATABASE_URL": _database_url(), "OMGEVING_VAR_DIR": str(tmp_path),
           "OMGEVING_LOG_LEVEL": "WARNING"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    port = _free_port()
    printed = subprocess.run([BIN / "omgeving", "demo"], env={
        **env, "OMGEVING_BIND": f"127.0.0.1:{port}"}, capture_output=True, text=True,
        check=True).stdout
    credentials = json.loads((tmp_path / "demo-credentials.json").read_text())
    assert credentials["api"] in printed and f"demo.localhost:{port}" in printed
    server = _start(env, port)
    try:
        yield port, credentials
    finally:
        server.terminate()
        server.wait(10)


def test_newman_passes_three_times_in_a_row_against_the_demo_of_make_run(demo, tmp_path):
    """The whole collection against the demo organisation of `make run`, with the credentials
    it prints: every assertion passes, three runs in a row (each logs in three times: within
    the server's limit of 10 password logins per user per 5 minutes)."""
    if not NEWMAN.exists():
        pytest.fail("newman is missing: run `npm ci` (make test does)")
    port, credentials = demo
    for run in range(3):
        _newman(port, credentials, tmp_path / f"newman-{run}.json")


def _newman(port, credentials, report):
    result = subprocess.run(
        [str(NEWMAN), "run", str(COLLECTION),
         "--env-var", f"baseUrl=http://127.0.0.1:{port}",
         "--env-var", f"host=demo.localhost:{port}",
         "--env-var", "username=api",
         "--env-var", f"password={credentials['api']}",
         "--reporters", "cli,json", "--reporter-json-export", str(report),
         "--color", "off"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-15000:] + result.stderr[-3000:]
    stats = json.loads(report.read_text())["run"]["stats"]
    assert stats["assertions"]["failed"] == 0 and stats["assertions"]["total"] >= 200
    assert stats["requests"]["failed"] == 0


def test_the_readmes_python_example_runs_against_the_demo(demo):
    """README.md's "From Python" block, as printed there, with the demo's port and password."""
    port, credentials = demo
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("```python\n") + 10:]
    block = block[:block.index("```")]
    code = (block.replace("<printed by make run>", credentials["api"])
            .replace("127.0.0.1:8000", f"127.0.0.1:{port}")
            .replace("demo.localhost:8000", f"demo.localhost:{port}"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env={"PATH": os.environ.get("PATH", "")})
    assert result.returncode == 0, result.stderr
    assert set(ast.literal_eval(result.stdout)) >= {"api", "joost", "lisa", "ans", "tim", "pieter"}


def test_the_readmes_sdk_example_runs_against_the_demo(demo):
    """README.md's SDK block, as printed there, with the demo's port and password."""
    port, credentials = demo
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## From Python: the SDK"):]
    block = section[section.index("```python\n") + 10:]
    block = block[:block.index("```")]
    assert len(block.strip().splitlines()) <= 5  # the SDK in five lines
    code = (block.replace("<printed by make run>", credentials["api"])
            .replace("localhost:8000", f"localhost:{port}"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env={"PATH": os.environ.get("PATH", "")})
    assert result.returncode == 0, result.stderr
    assert {"joost", "lisa"} <= set(result.stdout.split())

"""The Postman collection integrators use, run by newman against a live server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..helpers import APP_PASSWORD, make_app, make_person

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


@pytest.mark.django_db(transaction=True)
def test_newman_runs_the_collection(live_server, org_a, tmp_path):
    if not NEWMAN.exists():
        pytest.fail("newman is missing: run `npm ci` (make test does)")
    org_a.feature_families = org_a.feature_care_status = org_a.feature_invitations = True
    org_a.save()
    make_app(org_a)
    make_person(org_a, "joost")
    port = live_server.url.rsplit(":", 1)[1]
    report = tmp_path / "newman.json"
    result = subprocess.run(
        [str(NEWMAN), "run", str(COLLECTION),
         "--env-var", f"baseUrl={live_server.url}",
         "--env-var", f"host=org-a.localhost:{port}",
         "--env-var", "username=api",
         "--env-var", f"password={APP_PASSWORD}",
         "--reporters", "cli,json", "--reporter-json-export", str(report),
         "--color", "off", "--bail"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-15000:] + result.stderr[-3000:]
    stats = json.loads(report.read_text())["run"]["stats"]
    assert stats["assertions"]["failed"] == 0 and stats["assertions"]["total"] >= 50
    assert stats["requests"]["failed"] == 0

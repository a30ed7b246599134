"""schemathesis over every operation of the committed OpenAPI, against a live server.

0 server errors, every response conforming to the schema (status codes, content types,
bodies, headers), invalid data rejected with 4xx, operations needing a token refusing to
work without one. Seeded and bounded: OMGEVING_FUZZ_EXAMPLES examples per operation
(default 25), all four phases (OMGEVING_FUZZ_PHASES to choose), two concurrent workers
(OMGEVING_FUZZ_WORKERS): on two CPUs that halves the run (644 s → 356 s on SQLite), and the
server meets concurrent requests as in production. With more than one worker the order in
which operations run varies between runs; a failure prints its own curl reproduction, and
OMGEVING_FUZZ_WORKERS=1 runs them in one fixed order. A deeper, nightly-size run:

    OMGEVING_FUZZ_EXAMPLES=500 .venv/bin/pytest tests/fuzz

schemathesis's object-level authorisation check needs several identities against one base
URL; here organisations are separated by host (a token of one organisation is refused at
another's host), which tests/api/test_cross_organisation.py checks for every operation.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from omgeving.accounts.models import Role
from omgeving.tenancy.models import FEATURES
from omgeving.tenancy.services import set_features

from ..helpers import APP_PASSWORD, make_app, make_person

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def test_schemathesis_finds_nothing(live_server, org_a, settings):
    # Fuzzing token-auth with wrong passwords would lock the fuzzer's own address out, and
    # its auth hook logs in more often than the success limit allows; the throttling has its
    # own tests (tests/accounts/test_lockout.py).
    settings.LOCKOUT_FAILURES = settings.LOCKOUT_USER_FAILURES = 10**9
    settings.LOCKOUT_ADDRESS_FAILURES = settings.LOGIN_SUCCESS_LIMIT = 10**9
    set_features(org_a, on=FEATURES)
    make_app(org_a, username="fuzzer")
    for i in range(3):
        make_person(org_a, f"person{i}", Role.CLIENT, bsn="111222333" if i == 0 else "")
    port = live_server.url.rsplit(":", 1)[1]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
        "PYTHONPATH": str(ROOT),
        "FUZZ_BASE_URL": live_server.url,
        "FUZZ_HOST": f"org-a.localhost:{port}",
        "FUZZ_USERNAME": "fuzzer",
        "FUZZ_PASSWORD": APP_PASSWORD,
    }
    examples = os.environ.get("OMGEVING_FUZZ_EXAMPLES", "25")
    phases = os.environ.get("OMGEVING_FUZZ_PHASES") or "examples,coverage,fuzzing,stateful"
    workers = os.environ.get("OMGEVING_FUZZ_WORKERS") or "2"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"),
         "--config-file", str(Path(__file__).with_name("schemathesis.toml")), "run",
         str(ROOT / "docs" / "openapi.yaml"),
         "--url", live_server.url, "--header", f"Host: org-a.localhost:{port}",
         "--mode", "all", "--max-examples", examples, "--seed", "20261127",
         "--phases", phases,
         "--workers", workers, "--request-timeout", "20",
         "--generation-database", "none", "--no-color"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    report = ROOT / "var" / "schemathesis.txt"
    report.parent.mkdir(exist_ok=True)
    report.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]

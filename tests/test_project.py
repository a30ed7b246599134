from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


def test_deploy_checks_pass_with_production_settings(tmp_path):
    """`manage.py check --deploy` with the settings production uses (TLS, explicit secret)."""
    env = {
        "PATH": "/usr/bin:/bin", "OMGEVING_SECURE": "1", "OMGEVING_VAR_DIR": str(tmp_path),
        "OMGEVING_SECRET_KEY": "x" * 30 + "a-long-random-production-secret-" + "y" * 20,
        "DJANGO_SETTINGS_MODULE": "omgeving.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_runs_on_the_database_it_was_given():
    import os

    from django.db import connection

    wanted = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") \
        else "sqlite"
    assert connection.vendor == wanted


def test_the_threat_model_names_tests_that_exist():
    """Each claim in THREAT_MODEL.md names the test that backs it; a renamed or deleted test
    must not leave a claim standing on nothing."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = (root / "THREAT_MODEL.md").read_text()
    references = re.findall(r"`(tests/[\w/]+\.py)?((?:::\w+)?)`", text)
    assert len(references) > 20
    current = None
    for path, name in references:
        if path:
            current = root / path
            assert current.exists(), path
        if name:
            source = current.read_text()
            assert f"def {name[2:]}(" in source, f"{current.name}{name}"


def test_every_environment_variable_is_documented_in_the_settings_docstring():
    """The settings docstring is the one list of what the environment can set."""
    import re
    from pathlib import Path

    import omgeving.settings

    source = Path(omgeving.settings.__file__).resolve().parent
    read = set()
    for path in source.rglob("*.py"):
        read |= set(re.findall(r"OMGEVING_[A-Z_]+[A-Z]", path.read_text()))
    assert len(read) > 20
    documented = set(re.findall(r"^(OMGEVING_[A-Z_]+[A-Z])\b", omgeving.settings.__doc__,
                                re.MULTILINE))
    assert read - documented == set()
    assert documented - read == set()  # and nothing documented that nobody reads


def test_deploy_md_states_the_pinned_query_counts():
    """docs/deploy.md sizes PostgreSQL by the queries per call: the range it states is the one
    tests/api/query_counts.json pins."""
    import json

    counts = json.loads((ROOT / "tests" / "api" / "query_counts.json").read_text()).values()
    text = (ROOT / "docs" / "deploy.md").read_text()
    assert f"every API call is {min(counts)}–{max(counts)} short queries" in text


def test_threat_claims_marked_as_mutation_checked_are_in_the_mutation_run():
    """A THREAT_MODEL row whose last column names a module: that module is one `make mutate`
    runs, and the row's tests are among the tests it runs against it (scripts/mutate)."""
    import importlib.machinery
    import importlib.util
    import re

    loader = importlib.machinery.SourceFileLoader("mutate", str(ROOT / "scripts" / "mutate"))
    mutate = importlib.util.module_from_spec(importlib.util.spec_from_loader("mutate", loader))
    loader.exec_module(mutate)
    rows = [line for line in (ROOT / "THREAT_MODEL.md").read_text().splitlines()
            if line.startswith("| ") and line.rstrip().endswith(("existence |", ".py` |"))]
    assert len(rows) > 30
    checked = 0
    for row in rows:
        marker = row.rstrip(" |").rsplit("| ", 1)[1]
        if marker == "existence":
            continue
        module = marker.strip("`")
        assert module in mutate.MODULES, row[:60]
        tests = re.findall(r"`(tests/[\w/]+\.py)", row)
        assert tests and all(any(t == s or t.startswith(s.rstrip("/") + "/")
                                 for s in mutate.MODULES[module]) for t in tests), row[:60]
        checked += 1
    assert checked >= 10

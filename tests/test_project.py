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

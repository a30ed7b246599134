from __future__ import annotations

import os
from pathlib import Path

import pytest

from omgeving.tenancy.services import create_organization, forget_all
from omgeving.tokens.services import issue_token

from . import error_codes
from .helpers import client_for, make_app


@pytest.fixture(autouse=True)
def _no_known_organizations():
    # Each test starts with no organisation known to the process (tenancy.services): the
    # first API call with a token looks its organisation up, later ones need not.
    forget_all()
    yield
    forget_all()


@pytest.fixture(autouse=True)
def _default_language():
    # A request in Dutch leaves its thread in Dutch (LocaleMiddleware activates per request
    # and never resets); each test starts and ends in the default language.
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # A fast hasher in tests; production uses Argon2 (settings.PASSWORD_HASHERS).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org_a(db):
    return create_organization(slug="org-a", name="Organisation A")


@pytest.fixture
def org_b(db):
    return create_organization(slug="org-b", name="Organisation B")


@pytest.fixture
def admin_client(org_a):
    """A Django test client logged in to the admin as an administrator of org-a (password
    and TOTP code)."""
    from .helpers import admin_of, log_in, totp_code

    _, device = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    return client


@pytest.fixture
def app_a(org_a):
    return make_app(org_a)


@pytest.fixture
def app_b(org_b):
    return make_app(org_b)


@pytest.fixture
def api_a(app_a, org_a):
    """An API client at organisation A carrying a valid token of A's Application user."""
    return client_for(org_a, issue_token(app_a).token)


@pytest.fixture
def anon_a(org_a):
    return client_for(org_a)


def pytest_configure(config):
    error_codes.start()
    if os.environ.get("OMGEVING_TEST_DB_PER_PROCESS"):
        _own_test_database(config)


def _own_test_database(config) -> None:
    """`make mutate` runs test sessions side by side in forked processes: each gets its own
    SQLite test database file, or they would create and drop each other's; copied from a
    migrated template (OMGEVING_TEST_DB_TEMPLATE) when there is one, as migrating takes
    longer than most mutants' tests."""
    import shutil

    from django.conf import settings

    test = settings.DATABASES["default"].get("TEST") or {}
    if not test.get("NAME"):
        return
    test["NAME"] = f"{test['NAME'].removesuffix('.sqlite3')}-{os.getpid()}.sqlite3"
    template = os.environ.get("OMGEVING_TEST_DB_TEMPLATE")
    if template:
        shutil.copyfile(template, test["NAME"])
        config.option.reuse_db = True  # pytest-django: keep it, migrate only what is new
        config.add_cleanup(lambda: [Path(f"{test['NAME']}{suffix}").unlink(missing_ok=True)
                                    for suffix in ("", "-wal", "-shm")])


def pytest_sessionfinish(session, exitstatus):
    """Fail the run when the suite received a problem code its operation does not document
    (tests/error_codes.py)."""
    import yaml

    schema = yaml.safe_load((Path(__file__).resolve().parents[1] / "docs" / "openapi.yaml")
                            .read_text())
    problems = error_codes.undocumented(schema)
    if problems:
        print("\n\nProblem codes the suite received that docs/openapi.yaml does not list:\n  "
              + "\n  ".join(problems))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"

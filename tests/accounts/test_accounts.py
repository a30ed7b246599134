from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from omgeving.accounts import services
from omgeving.accounts.models import Role, User
from omgeving.accounts.validators import bsn_is_valid
from omgeving.cli import main as cli
from omgeving.errors import ConflictError

from ..helpers import APP_PASSWORD, make_app, make_person

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("bsn,valid", [
    ("111222333", True), ("123456782", True), ("111222334", False), ("123456789", False),
    ("000000000", False), ("12345678", False), ("12345678a", False), ("1234567820", False),
])
def test_bsn_eleven_test(bsn, valid):
    assert bsn_is_valid(bsn) is valid


@pytest.mark.parametrize("roles,code", [
    ([], "role_required"),
    (["NURSE"], "invalid_role"),
    ([Role.APPLICATION, Role.ADMINISTRATOR], "application_role_exclusive"),
    ([Role.APPLICATION, Role.COUNSELOR], "application_role_exclusive"),
    ([Role.CLIENT, Role.GUARDIAN], "one_authorisation"),
])
def test_role_rules(roles, code):
    with pytest.raises(ValidationError) as exc:
        services.role_fields(roles)
    assert exc.value.code == code


def test_role_fields_allowed_combinations():
    assert services.role_fields([Role.APPLICATION]) == {
        "is_administrator": False, "is_application": True, "authorisation": None}
    assert services.role_fields([Role.ADMINISTRATOR, Role.COUNSELOR]) == {
        "is_administrator": True, "is_application": False, "authorisation": "COUNSELOR"}


def test_application_exclusivity_is_also_a_database_constraint(org_a):
    app = make_app(org_a)
    app.authorisation = Role.CLIENT
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        app.save()


def test_username_unique_per_organisation(org_a, org_b):
    make_person(org_a, "joost")
    make_person(org_b, "joost")  # another organisation: another person
    with pytest.raises(ConflictError) as exc:
        make_person(org_a, "joost")
    assert exc.value.error_dict["username"][0].code == "username_taken"


def test_external_id_unique_per_organisation_when_set(org_a, org_b):
    make_person(org_a, "a", external_id="ECD-1")
    make_person(org_b, "b", external_id="ECD-1")
    make_person(org_a, "c", external_id=None)
    make_person(org_a, "d", external_id="")  # empty means none
    with pytest.raises(ConflictError):
        make_person(org_a, "e", external_id="ECD-1")


def test_invalid_bsn_rejected(org_a):
    with pytest.raises(ValidationError) as exc:
        make_person(org_a, "joost", bsn="123456789")
    assert exc.value.error_dict["bsn"][0].code == "invalid_bsn"


def test_password_change_and_deactivation_bump_token_version(org_a):
    app = make_app(org_a)
    assert app.token_version == 1
    services.set_password(app, "another-long-password-2")
    assert User.objects.get(pk=app.pk).token_version == 2
    app = User.objects.get(pk=app.pk)
    app.first_name = "unrelated"
    app.save()
    assert User.objects.get(pk=app.pk).token_version == 2
    services.deactivate_user(app)
    app = User.objects.get(pk=app.pk)
    assert (app.is_active, app.token_version) == (False, 3)


def test_weak_password_rejected(org_a):
    with pytest.raises(ValidationError):
        services.create_user(organization=org_a, username="api", roles=[Role.APPLICATION],
                             password="short")


def test_cli_org_and_user(capsys, monkeypatch):
    assert cli(["org", "create", "zorg-noord", "--name", "Zorg Noord"]) == 0
    assert cli(["org", "create", "Bad_Slug"]) == 2
    assert cli(["org", "list"]) == 0
    out = capsys.readouterr().out
    assert "zorg-noord\tZorg Noord\tactive" in out
    monkeypatch.setenv("OMGEVING_PASSWORD", APP_PASSWORD)
    assert cli(["user", "create", "--org", "zorg-noord", "--username", "api",
                "--role", "APPLICATION"]) == 0
    user = User.objects.get(username="api")
    assert user.roles == ["APPLICATION"] and user.check_password(APP_PASSWORD)
    assert cli(["user", "create", "--org", "zorg-noord", "--username", "mixed",
                "--role", "APPLICATION", "--role", "COUNSELOR"]) == 2
    assert "Application only" in capsys.readouterr().err
    assert cli(["user", "create", "--org", "nope", "--username", "x", "--role", "CLIENT"]) == 2
    assert not User.objects.filter(username="mixed").exists()

"""The command line: every set-up step of an organisation without the admin (README)."""

from __future__ import annotations

import argparse

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from omgeving.accounts.grants import Grant
from omgeving.accounts.models import Role, User
from omgeving.cli import build_parser
from omgeving.cli import main as cli
from omgeving.tenancy.models import FEATURES, Organization
from omgeving.tokens.services import issue_token

from .helpers import APP_PASSWORD, admin_of, client_for, make_app, make_person

pytestmark = pytest.mark.django_db


def _subcommands(parser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, child in action.choices.items():
                yield (*path, name), helps.get(name), child
                yield from _subcommands(child, (*path, name))


def test_every_subcommand_has_help():
    commands = list(_subcommands(build_parser()))
    assert len(commands) >= 17
    for path, help_text, _ in commands:
        assert help_text and len(help_text) > 10, path


def _token(user):
    user.refresh_from_db()  # the current token version
    return issue_token(user).token


def test_grant_and_revoke_decide_what_the_application_may_call(org_a, capsys):
    app = make_app(org_a, grants=())
    api = client_for(org_a, _token(app))
    assert api.get("/api/users/").status_code == 403
    assert cli(["user", "grant", "--org", "org-a", "--username", "api", "users:read"]) == 0
    assert "users:read" in capsys.readouterr().out
    assert api.get("/api/users/").status_code == 200
    assert cli(["user", "grant", "--org", "org-a", "--username", "api", "--all"]) == 0
    app.refresh_from_db()
    assert app.grants == Grant.values
    assert cli(["user", "revoke", "--org", "org-a", "--username", "api", "users:read",
                "bsn"]) == 0
    app.refresh_from_db()
    assert "users:read" not in app.grants and "bsn" not in app.grants
    assert "users:write" in app.grants
    assert api.get("/api/users/").status_code == 403
    assert cli(["user", "revoke", "--org", "org-a", "--username", "api", "--all"]) == 0
    app.refresh_from_db()
    assert app.grants == []


def test_grant_refuses_what_it_cannot_do(org_a, capsys):
    make_app(org_a, grants=())
    make_person(org_a, "joost")
    grant = ["user", "grant", "--org", "org-a", "--username"]
    assert cli([*grant, "api", "users:raed"]) == 2
    assert "Unknown grant(s): users:raed" in capsys.readouterr().err
    assert cli([*grant, "joost", "users:read"]) == 2  # a person holds no grants
    assert "Only Application users hold grants" in capsys.readouterr().err
    assert cli([*grant, "api"]) == 2  # neither names nor --all
    assert cli([*grant, "api", "users:read", "--all"]) == 2
    assert cli([*grant, "nobody", "users:read"]) == 2
    assert User.objects.get(username="api").grants == []


def test_user_list(org_a, org_b, capsys):
    make_app(org_a, grants=["users:read"])
    make_person(org_a, "joost", display_name="Joost de Vries")
    make_person(org_b, "other")
    assert cli(["user", "list", "--org", "org-a"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["api\t-\tAPPLICATION\tactive\tusers:read",
                     "joost\tJoost de Vries\tCLIENT\tactive"]


def test_set_password_and_deactivate(org_a, monkeypatch, capsys):
    app = make_app(org_a)
    api = client_for(org_a, _token(app))
    assert api.get("/api/me/").status_code == 200
    monkeypatch.setenv("OMGEVING_PASSWORD", "weak")
    assert cli(["user", "set-password", "--org", "org-a", "--username", "api"]) == 2
    assert "too short" in capsys.readouterr().err
    monkeypatch.setenv("OMGEVING_PASSWORD", "a-new-password-for-the-app")
    assert cli(["user", "set-password", "--org", "org-a", "--username", "api"]) == 0
    app.refresh_from_db()
    assert app.check_password("a-new-password-for-the-app")
    assert api.get("/api/me/").status_code == 401  # the old token stopped working
    api = client_for(org_a, _token(app))
    assert api.get("/api/me/").status_code == 200
    assert cli(["user", "deactivate", "--org", "org-a", "--username", "api"]) == 0
    app.refresh_from_db()
    assert not app.is_active
    assert api.get("/api/me/").status_code == 401
    assert client_for(org_a).post("/api/token-auth/", {
        "username": "api", "password": "a-new-password-for-the-app"},
        format="json").status_code == 400


def test_deactivating_a_person_keeps_the_network_rules(org_a, capsys):
    make_person(org_a, "joost")
    assert cli(["user", "deactivate", "--org", "org-a", "--username", "joost"]) == 0
    assert not User.objects.get(username="joost").is_active


def test_org_features(org_a, capsys):
    app = make_app(org_a)
    api = client_for(org_a, _token(app))
    assert api.get("/api/families/").status_code == 404
    assert cli(["org", "features", "org-a", "--on", "families", "invitations"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "families\ton", "care_status\toff", "invitations\ton", "messages\toff",
        "appointments\toff", "goals\toff", "reports\toff", "documents\toff"]
    assert api.get("/api/families/").status_code == 200
    assert cli(["org", "features", "org-a", "--off", "families"]) == 0
    assert api.get("/api/families/").status_code == 404
    assert cli(["org", "features", "org-a", "--on", "familys"]) == 2
    assert "unknown feature(s) familys" in capsys.readouterr().err
    assert cli(["org", "features", "org-a", "--on", "families", "--off", "families"]) == 2
    assert cli(["org", "features", "nope", "--on", "families"]) == 2
    org_a.refresh_from_db()
    assert [n for n in FEATURES if org_a.has_feature(n)] == ["invitations"]


def test_otp_add_refuses_a_second_device_without_replace(org_a, capsys):
    user, first = admin_of(org_a)
    assert cli(["otp", "add", "--org", "org-a", "--username", "beheer"]) == 2
    assert "already has an authenticator" in capsys.readouterr().err
    assert list(TOTPDevice.objects.filter(user=user)) == [first]
    assert cli(["otp", "add", "--org", "org-a", "--username", "beheer", "--replace"]) == 0
    [device] = TOTPDevice.objects.filter(user=user)
    assert device.pk != first.pk and device.config_url in capsys.readouterr().out


def test_user_create_then_grant_is_the_whole_set_up(monkeypatch, capsys):
    """From nothing to an application that reads users, with the CLI alone."""
    assert cli(["org", "create", "zorg-noord", "--name", "Zorg Noord"]) == 0
    monkeypatch.setenv("OMGEVING_PASSWORD", APP_PASSWORD)
    assert cli(["user", "create", "--org", "zorg-noord", "--username", "koppeling",
                "--role", Role.APPLICATION]) == 0
    assert cli(["user", "grant", "--org", "zorg-noord", "--username", "koppeling",
                "users:read", "users:write"]) == 0
    org = Organization.objects.get(slug="zorg-noord")
    api = client_for(org)
    token = api.post("/api/token-auth/", {"username": "koppeling", "password": APP_PASSWORD},
                     format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    assert api.post("/api/users/", {"username": "joost", "roles": ["CLIENT"]},
                    format="json").status_code == 201


def test_the_help_and_the_readme_name_every_feature(capsys):
    from pathlib import Path

    from omgeving.tenancy.models import FEATURES

    with pytest.raises(SystemExit):
        cli(["org", "features", "-h"])
    help_text = " ".join(capsys.readouterr().out.split())
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert len(FEATURES) == 8
    for name in FEATURES:
        assert name in help_text, name
        assert f"`{name}`" in readme, name

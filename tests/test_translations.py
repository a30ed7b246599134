"""Dutch and English: every string marked for translation has its Dutch translation, the
compiled catalogue is the source's, the messages the API gives are marked (none is a bare
literal), and a client asking for Dutch gets Dutch `detail`s with the same codes.

Scope today: what the API writes (problem `detail`s: the frame's, the rules', the tokens').
The admin's own labels and help texts are the next step (docs/api.md, "Languages")."""

from __future__ import annotations

import ast
import re
import shutil
import sys
from pathlib import Path

import polib
import pytest

from omgeving.accounts.models import Role

from .helpers import make_person

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "omgeving"
CATALOGUE = PACKAGE / "locale" / "nl" / "LC_MESSAGES" / "django.po"
sys.path.insert(0, str(ROOT / "scripts"))
import messages  # noqa: E402  (scripts/messages.py: the extraction `make messages` runs)

PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def test_every_marked_string_has_a_dutch_translation(tmp_path):
    """Extract the marked strings from the code as it is now (as `make messages` does) and
    find each one translated in the committed catalogue."""
    copy = tmp_path / "omgeving"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    (copy / "locale" / "nl" / "LC_MESSAGES" / "django.po").unlink()
    messages.extract(copy)
    extracted = {e.msgid for e in polib.pofile(str(copy / "locale/nl/LC_MESSAGES/django.po"))}
    committed = {e.msgid: e for e in polib.pofile(str(CATALOGUE))}
    assert len(extracted) > 150
    missing = sorted(m for m in extracted if m not in committed or not committed[m].msgstr
                     or "fuzzy" in committed[m].flags)
    assert missing == [], "run `make messages` and translate these in the .po"
    assert sorted(set(committed) - extracted) == []  # nothing stale either


def test_translations_keep_their_placeholders():
    for entry in polib.pofile(str(CATALOGUE)):
        assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(
            PLACEHOLDER.findall(entry.msgstr)), entry.msgid


def test_the_compiled_catalogue_is_the_sources():
    source = {e.msgid: e.msgstr for e in polib.pofile(str(CATALOGUE)) if e.msgid}
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(CATALOGUE.with_suffix(".mo")))
                if e.msgid}
    assert compiled == source, "run `make messages`"


# Where the API's messages are written: the first argument of these (the second of the rule
# helpers), and these keywords. A bare literal there would reach a Dutch client in English.
MESSAGE_CALLS = {"ValidationError": 0, "rule_error": 1, "_error": 1, "NotAllowedError": 0,
                 "ConflictError": 0, "ErrorDetail": 0, "NotFound": 0, "PermissionDenied": 0,
                 "ParseError": 0, "AuthenticationFailed": 0, "NotAuthenticated": 0,
                 "Gone": 0, "RegexValidator": 1, "APIException": 0}
MESSAGE_KEYWORDS = {"detail", "message", "violation_error_message"}
NOT_PRODUCT_TEXT = {"cli.py", "settings.py"}  # the operator's command line, the settings


def _bare_messages(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        values = [k.value for k in node.keywords if k.arg in MESSAGE_KEYWORDS]
        if name in MESSAGE_CALLS and len(node.args) > MESSAGE_CALLS[name]:
            values.append(node.args[MESSAGE_CALLS[name]])
        for value in values:
            if isinstance(value, ast.JoinedStr) or (
                    isinstance(value, ast.Constant) and isinstance(value.value, str)
                    and value.value.strip()):
                found.append(f"{path.name}:{value.lineno}")
    return found


def test_no_api_message_is_a_bare_literal():
    found = [site for path in sorted(PACKAGE.rglob("*.py"))
             if "migrations" not in path.parts and path.name not in NOT_PRODUCT_TEXT
             for site in _bare_messages(path)]
    assert found == []


def test_the_lint_finds_a_bare_message(tmp_path):
    """The check above can fail."""
    sample = tmp_path / "sample.py"
    sample.write_text('raise ValidationError("Plain English.", code="x")\n'
                      'raise NotFound(f"No {thing}.")\n'
                      'raise ValidationError(_("Marked."), code="x")\n')
    assert _bare_messages(sample) == ["sample.py:1", "sample.py:2"]


@pytest.mark.django_db
def test_a_dutch_client_reads_dutch_details_with_the_same_codes(api_a, org_a, anon_a):
    joost, lisa = make_person(org_a, "joost"), make_person(org_a, "lisa", Role.CLIENT)
    body = {"client": joost.pk, "person": lisa.pk, "authorisation": "GUARDIAN"}
    english = api_a.post("/api/relations/", body, format="json")
    dutch = api_a.post("/api/relations/", body, format="json",
                       HTTP_ACCEPT_LANGUAGE="nl-NL,nl;q=0.9,en;q=0.8")
    assert english.json()["code"] == dutch.json()["code"] == "client_to_client"
    assert english.json()["detail"] == ("A client never relates directly to another client "
                                        "(rule 2).")
    assert dutch.json()["detail"] == ("Een cliënt heeft nooit een directe relatie met een "
                                      "andere cliënt (regel 2).")
    assert dutch["Content-Language"] == "nl" and "Accept-Language" in dutch["Vary"]
    assert english["Content-Language"] == "en"
    # the frame's own messages and the token's
    unknown = api_a.get("/api/users/?x=1", HTTP_ACCEPT_LANGUAGE="nl").json()
    assert unknown["code"] == "unknown_parameter"
    assert unknown["detail"].startswith("Onbekende queryparameter 'x'.")
    expired = anon_a.get("/api/users/", HTTP_AUTHORIZATION="JWT not-a-token",
                         HTTP_ACCEPT_LANGUAGE="nl").json()
    assert expired["code"] == "token_invalid"
    assert expired["detail"] == "Het token is onjuist opgebouwd of de handtekening klopt niet."
    assert expired["title"] == "Unauthorized"  # titles and codes stay English

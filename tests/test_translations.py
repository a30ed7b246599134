"""Dutch and English: every string marked for translation has its Dutch translation, the
compiled catalogue is the source's, the messages the API gives are marked (none is a bare
literal), and a client asking for Dutch gets Dutch `title`s and `detail`s with the same codes.

What is checked: the API's problem `detail`s (the frame's, the rules', the tokens'), the
models' labels, help texts and choices, the apps' names, and the admin's own texts. Not
translated on purpose: error codes, the OpenAPI document and the operator's command line
(docs/api.md, "Languages")."""

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
    missing = sorted(m for m in extracted if m not in committed
                     or not committed[m].translated())
    assert missing == [], "run `make messages` and translate these in the .po"
    assert sorted(set(committed) - extracted) == []  # nothing stale either


def test_translations_keep_their_placeholders():
    for entry in polib.pofile(str(CATALOGUE)):
        for translation in (entry.msgstr_plural.values() if entry.msgid_plural
                            else [entry.msgstr]):
            assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(
                PLACEHOLDER.findall(translation)), entry.msgid


def _entries(catalogue) -> dict:
    return {e.msgid: (e.msgstr, dict(e.msgstr_plural)) for e in catalogue if e.msgid}


def test_the_compiled_catalogue_is_the_sources():
    source = _entries(polib.pofile(str(CATALOGUE)))
    compiled = _entries(polib.mofile(str(CATALOGUE.with_suffix(".mo"))))
    assert compiled == source, "run `make messages`"


# Where the API's messages are written: the first argument of these (the second of the rule
# helpers), and these keywords. A bare literal there would reach a Dutch client in English.
MESSAGE_CALLS = {"ValidationError": 0, "rule_error": 1, "_error": 1, "NotAllowedError": 0,
                 "ConflictError": 0, "ErrorDetail": 0, "NotFound": 0, "PermissionDenied": 0,
                 "ParseError": 0, "AuthenticationFailed": 0, "NotAuthenticated": 0,
                 "Gone": 0, "RegexValidator": 1, "APIException": 0}
MESSAGE_KEYWORDS = {"detail", "message", "violation_error_message"}
# In the admin, also what a form or page shows.
ADMIN_CALLS = {"add_error": 1, "message_user": 1}
ADMIN_KEYWORDS = {"help_text", "label", "description"}
NOT_PRODUCT_TEXT = {"cli.py", "settings.py"}  # the operator's command line, the settings


def _bare_messages(path: Path) -> list[str]:
    calls, keywords = dict(MESSAGE_CALLS), set(MESSAGE_KEYWORDS)
    if path.name.startswith("admin") or path.name.endswith("admin.py"):
        calls |= ADMIN_CALLS
        keywords |= ADMIN_KEYWORDS
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(
                node.elts[1], ast.Dict) and any(getattr(k, "value", None) == "fields"
                                                for k in node.elts[1].keys):
            values = [node.elts[0]]  # an admin fieldset's title
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            values = [k.value for k in node.keywords if k.arg in keywords]
            if name in calls and len(node.args) > calls[name]:
                values.append(node.args[calls[name]])
        else:
            continue
        for value in values:
            if isinstance(value, ast.JoinedStr) or (
                    isinstance(value, ast.Constant) and isinstance(value.value, str)
                    and value.value.strip()):
                found.append(f"{path.name}:{value.lineno}")
    return sorted(found, key=lambda site: int(site.rsplit(":", 1)[1]))


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
    admin = tmp_path / "admin.py"
    admin.write_text('fieldsets = [("Personal data", {"fields": ["a"]}), (None, {"fields": []})]\n'
                     'f = forms.CharField(label="Name", help_text=_("Marked."))\n'
                     'self.message_user(request, "Done.")\n')
    assert _bare_messages(admin) == ["admin.py:1", "admin.py:2", "admin.py:3"]


def test_every_label_the_admin_shows_is_translatable():
    """Model and field names, help texts, choices and app names are marked (a name Django
    derives from the attribute could not be translated)."""
    from django.apps import apps
    from django.utils.functional import Promise

    bare = []
    for config in apps.get_app_configs():
        if not config.name.startswith("omgeving"):
            continue
        if not isinstance(config.verbose_name, Promise):
            bare.append(config.name)
        for model in config.get_models():
            meta = model._meta
            bare += [f"{meta.label}.Meta" for name in ("verbose_name", "verbose_name_plural")
                     if not isinstance(getattr(meta, name), Promise)]
            for field in meta.get_fields():
                if field.auto_created and not field.concrete:
                    continue
                where = f"{meta.label}.{field.name}"
                if field.name != "id" and not isinstance(field.verbose_name, Promise):
                    bare.append(where)
                if field.help_text and not isinstance(field.help_text, Promise):
                    bare.append(f"{where} help_text")
                bare += [f"{where} choice {value}" for value, label in (field.choices or [])
                         if not isinstance(label, Promise)]
    assert bare == []


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
    assert expired["title"] == expired["detail"]  # the code's registered text, in Dutch


@pytest.mark.django_db
def test_the_admin_follows_the_browsers_language(org_a):
    from .helpers import admin_of, log_in, totp_code

    _, device = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    dutch = {"HTTP_ACCEPT_LANGUAGE": "nl-NL,nl;q=0.9"}
    index = client.get("/admin/", **dutch).content.decode()
    assert "Zorgnetwerk" in index and "Relaties" in index and "Gebruikers" in index
    assert "Organisation A — functioneel beheer" in index
    assert "Tweede factor (authenticator-apps)" in index
    relation = client.get("/admin/network/relation/add/", **dutch).content.decode()
    assert "Cliënt" in relation and "Een directe relatie verbindt een persoon" in relation
    assert "Een cliënt heeft nooit een directe relatie met een andere cliënt" in relation
    user = client.get("/admin/accounts/user/add/", **dutch).content.decode()
    assert "<b>Begeleider</b>: een zorgprofessional" in user and "Persoonsgegevens" in user
    english = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Care network" in english and "Zorgnetwerk" not in english


@pytest.mark.django_db
def test_no_english_of_ours_on_any_admin_page_in_dutch(org_a):
    """Every admin page an organisation's administrator can open (index, each list, each add
    form), rendered for a Dutch browser, shows none of our English texts: a text that reaches
    the page without passing through gettext would show here."""
    from html import unescape

    from django.contrib import admin as django_admin

    from omgeving.tenancy.services import set_features

    from .helpers import admin_of, log_in, totp_code

    set_features(org_a, on=("families", "care_status", "invitations"))
    _, device = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    english = {e.msgid for e in polib.pofile(str(CATALOGUE))
               if len(e.msgid) > 12 and e.msgstr and e.msgstr != e.msgid
               and "%(" not in e.msgid and "{" not in e.msgid}
    pages = ["/admin/"]
    for model in django_admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pages.append(base)
        pages.append(base + "add/")
    shown = 0
    for page in pages:
        response = client.get(page, HTTP_ACCEPT_LANGUAGE="nl")
        if response.status_code != 200:
            continue  # not this administrator's (platform pages, read-only models' add)
        shown += 1
        html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
        text = unescape(re.sub(r"<[^>]+>", " ", html))  # what a person reads, not attributes
        leftovers = sorted(m for m in english if m in text)
        assert leftovers == [], page
    assert shown >= 20

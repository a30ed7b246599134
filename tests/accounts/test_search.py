"""`?search=` on people: anywhere in five fields, case-insensitive, on a trigram index from 3
characters (FTS5 on SQLite, pg_trgm on PostgreSQL), kept equal to the people by the database."""

from __future__ import annotations

import pytest
from django.db import connection

from omgeving.accounts import search
from omgeving.accounts.models import Role

from ..helpers import make_person

pytestmark = pytest.mark.django_db


def found(api, term, **params):
    response = api.get("/api/users/", {"search": term, **params})
    assert response.status_code == 200, response.content
    return [u["username"] for u in response.json()["results"]]


@pytest.fixture
def people(org_a, org_b):
    make_person(org_a, "jdv", Role.CLIENT, first_name="Joost", last_name="de Vries",
                email="joost@zorg.example")
    make_person(org_a, "fleur", Role.GUARDIAN, display_name="Fleur (100%_zeker)")
    make_person(org_a, "zoe", Role.EXTERNAL, first_name="Zoë", last_name='O"Brien')
    make_person(org_b, "other", Role.CLIENT, first_name="Joost", last_name="de Vries")


@pytest.mark.parametrize(("term", "expected"), [
    ("VRIES", ["jdv"]),  # a last name, any case
    ("de vr", ["jdv"]),  # across a space inside one field
    ("oost", ["jdv"]),  # the middle of a first name
    ("zorg.ex", ["jdv"]),  # part of an e-mail address
    ("100%_z", ["fleur"]),  # LIKE's wildcards are plain characters
    ("0%", ["fleur"]),  # a short term: scanned, same meaning
    ('o"b', ["zoe"]),  # a quote is a character, not FTS syntax
    ("ZOË", ["zoe"]),
    ("vries joost", []),  # a match never spans two fields
    ("nobody", []),
])
@pytest.mark.parametrize("few", [0, 10_000])
def test_search_matches_anywhere_in_one_field(api_a, people, term, expected, few, monkeypatch):
    """The same answer from the index and (SQLite, for common terms) from the scan."""
    monkeypatch.setattr(search, "FEW", few)
    assert found(api_a, term) == expected


def test_the_index_follows_every_change(api_a, org_a, people):
    person = make_person(org_a, "late", Role.CLIENT, last_name="Bakker")
    assert found(api_a, "bakk") == ["late"]
    api_a.patch(f"/api/users/{person.pk}/", {"last_name": "Visser"}, format="json")
    assert found(api_a, "bakk") == [] and found(api_a, "visse") == ["late"]
    person.username = "renamed"
    person.save(update_fields=["username"])
    assert found(api_a, "renam") == ["renamed"]


def test_search_uses_the_index(org_a, people):
    """From 3 characters a term with few matches is never scanned with LIKE: the trigram
    index answers (on SQLite a term with over FEW matches is scanned by design, see
    accounts/search.py; the answers are the same, above)."""
    from omgeving.accounts.models import User

    sql = str(User.objects.for_organization(org_a).filter(search.matching("vries")).query)
    if connection.vendor == "sqlite":  # the FTS index gave the ids: no scan at all
        assert "LIKE" not in sql.upper() and '"accounts_user"."id" IN (' in sql
    else:  # one ILIKE over the expression the trigram index is built on, no per-field LIKE
        assert sql.upper().count("LIKE") == sql.upper().count("ILIKE") == 1
        assert search.PG_EXPRESSION in sql
    short = str(User.objects.for_organization(org_a).filter(search.matching("vr")).query)
    assert "LIKE" in short.upper()  # 1-2 characters: no trigram, a scan

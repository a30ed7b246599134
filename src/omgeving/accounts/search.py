"""Searching people by any part of their names, e-mail or username, on an index.

`?search=` on /api/users/ matches, case-insensitively, anywhere in first name, last name,
display name, e-mail or username (JO's professionals search their clients that way). A
substring search cannot use an ordinary index, so each database gets a trigram index over
those five fields (joined by a newline, so a match never spans two of them):

- SQLite: an FTS5 table with the trigram tokenizer (`accounts_user_search`), kept equal to
  the user table by triggers; a term is looked up as an FTS5 phrase, which the trigram
  tokenizer answers as "contains". SQLite's planner cannot tell a rare term from a common
  one, so up to FEW matches are taken from the index; a commoner term is matched by walking
  the people in id order with LIKE (a page of a term 1 in 10 people have is found among the
  first few hundred; asking the index row by row or taking every match measured slower);
- PostgreSQL: a GIN index with `pg_trgm` on the same expression, asked with ILIKE (the
  extension is trusted: the database's owner may create it).

On SQLite, a migration that rebuilds the user table (an AlterField does) drops its triggers:
such a migration must run `create_index` again after dropping the old index
(`tests/accounts/test_search.py` fails when the index stops following the people).

Terms shorter than 3 characters have no trigram: they are matched by scanning the
organisation's people (their cost grows with the organisation; documented in docs/api.md).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

FIELDS = ("first_name", "last_name", "display_name", "email", "username")
TABLE = "accounts_user_search"
PG_EXPRESSION = " || chr(10) || ".join(f'"{f}"' for f in FIELDS)
SQLITE_EXPRESSION = " || char(10) || ".join(f"new.{f}" for f in FIELDS)
MIN_INDEXED = 3
FEW = 10_000  # SQLite: more matches than this, and the term is searched by scanning


def matching(term: str) -> Q:
    """A filter for the people whose fields contain `term` (case-insensitive)."""
    if len(term) < MIN_INDEXED:
        return _scan(term)
    if connection.vendor == "sqlite":
        # SQLite cannot weigh the index against the scan by itself: ask the index for up to
        # FEW matches; with more, the term is common and a walk in id order finds a page
        # among the first few hundred people.
        phrase = '"' + term.replace('"', '""') + '"'
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s LIMIT %s",
                           [phrase, FEW + 1])
            ids = [row[0] for row in cursor.fetchall()]
        # (SQLite's LIKE folds ASCII letters only: the term is lower-cased first, so a name
        # stored with a capital Ë is the one case the scan matches by its exact letter.)
        return Q(id__in=ids) if len(ids) <= FEW else _scan(term.lower())
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return Q(id__in=RawSQL(f'SELECT "id" FROM "accounts_user" WHERE ({PG_EXPRESSION}) '  # noqa: S611
                           "ILIKE %s", [pattern]))


def _scan(term: str) -> Q:
    terms = Q()
    for field in FIELDS:
        terms |= Q(**{f"{field}__icontains": term})
    return terms


# --- the index, created by migration 0005 ----------------------------------------------------

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(text, tokenize='trigram')",
    f"INSERT INTO {TABLE}(rowid, text) SELECT id, "
    + " || char(10) || ".join(FIELDS) + " FROM accounts_user",
    f"CREATE TRIGGER accounts_user_search_insert AFTER INSERT ON accounts_user BEGIN "
    f"INSERT INTO {TABLE}(rowid, text) VALUES (new.id, {SQLITE_EXPRESSION}); END",
    f"CREATE TRIGGER accounts_user_search_update AFTER UPDATE OF {', '.join(FIELDS)} "
    f"ON accounts_user BEGIN UPDATE {TABLE} SET text = {SQLITE_EXPRESSION} "
    f"WHERE rowid = new.id; END",
    f"CREATE TRIGGER accounts_user_search_delete AFTER DELETE ON accounts_user BEGIN "
    f"DELETE FROM {TABLE} WHERE rowid = old.id; END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS accounts_user_search_insert",
    "DROP TRIGGER IF EXISTS accounts_user_search_update",
    "DROP TRIGGER IF EXISTS accounts_user_search_delete",
    f"DROP TABLE IF EXISTS {TABLE}",
]
PG_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX accounts_user_search_trgm ON accounts_user USING gin (({PG_EXPRESSION}) "
    "gin_trgm_ops)",
]
PG_DROP = ["DROP INDEX IF EXISTS accounts_user_search_trgm"]


def create_index(apps, schema_editor) -> None:
    _run(schema_editor, SQLITE_CREATE if schema_editor.connection.vendor == "sqlite"
         else PG_CREATE)


def drop_index(apps, schema_editor) -> None:
    _run(schema_editor, SQLITE_DROP if schema_editor.connection.vendor == "sqlite"
         else PG_DROP)


def _run(schema_editor, statements) -> None:
    for statement in statements:
        schema_editor.execute(statement)

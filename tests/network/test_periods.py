"""A relation's period and what counts as widening it: the date bounds, a one-day relation,
a change that only narrows (allowed for deactivated people and for writers without the BSN
grant) against one that widens (refused to them), and deleting what already ended.

Written for what mutation testing of network/services.py found unguarded (docs/testing.md)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from omgeving.accounts import services as accounts
from omgeving.accounts.models import Role
from omgeving.errors import NotAllowedError
from omgeving.network import services
from omgeving.network.models import Relation, today

from ..helpers import make_app, make_person, refusal
from .test_network import relation

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
OUT_OF_RANGE = "Dates lie between 1900-01-01 and 2199-12-31."


@pytest.fixture
def pair(org_a):
    return make_person(org_a, "joost", Role.CLIENT), make_person(org_a, "ans", Role.GUARDIAN)


def test_the_first_and_the_last_day_are_in_range_and_one_day_is_a_period(org_a, pair):
    joost, ans = pair
    first = relation(org_a, joost, ans, start_date=datetime.date(1900, 1, 1),
                     end_date=datetime.date(1900, 1, 1))  # one day: end on the start
    last = relation(org_a, joost, ans, start_date=datetime.date(2199, 12, 31),
                    end_date=datetime.date(2199, 12, 31))
    assert Relation.objects.filter(pk__in=[first.pk, last.pk]).count() == 2


@pytest.mark.parametrize("field, value", [("start_date", datetime.date(1899, 12, 31)),
                                          ("end_date", datetime.date(2200, 1, 1))])
def test_a_day_outside_the_range_is_refused_on_its_field(org_a, pair, field, value):
    with pytest.raises(ValidationError) as exc:
        relation(org_a, *pair, **{field: value})
    assert refusal(exc) == (field, "date_out_of_range", OUT_OF_RANGE)
    assert not Relation.objects.exists()


def test_more_than_the_default_authorisation_is_refused_in_words(org_a, pair):
    joost, _ = pair
    tim = make_person(org_a, "tim", Role.EXTERNAL)
    with pytest.raises(ValidationError) as exc:
        relation(org_a, joost, tim, "GUARDIAN")
    assert refusal(exc) == ("authorisation", "exceeds_default_authorisation",
                            "This person's default authorisation is EXTERNAL; a relation "
                            "cannot give them GUARDIAN.")


@pytest.fixture
def ended_in_ten_days(org_a, pair):
    """Ans's relation to Joost: started 9 days ago, ends in 10 days; then Ans is deactivated."""
    rel = relation(org_a, *pair, start_date=today() - 9 * DAY, end_date=today() + 10 * DAY)
    accounts.deactivate_user(pair[1])
    return Relation.objects.get(pk=rel.pk)


@pytest.mark.parametrize("change", ["unchanged", "ends earlier", "starts later"])
def test_narrowing_a_deactivated_persons_relation_is_allowed(ended_in_ten_days, change):
    rel = ended_in_ten_days
    if change == "ends earlier":
        rel.end_date = today()
    elif change == "starts later":
        rel.start_date = today() - 2 * DAY
    services.save_relation(rel)
    saved = Relation.objects.get(pk=rel.pk)
    assert (saved.start_date, saved.end_date) == (rel.start_date, rel.end_date)


@pytest.mark.parametrize("change", ["ends later", "never ends", "starts earlier",
                                    "another authorisation"])
def test_widening_a_deactivated_persons_relation_is_refused(ended_in_ten_days, change):
    rel = ended_in_ten_days
    before = (rel.start_date, rel.end_date, rel.authorisation)
    if change == "ends later":
        rel.end_date = today() + 11 * DAY
    elif change == "never ends":
        rel.end_date = None
    elif change == "starts earlier":
        rel.start_date = today() - 10 * DAY
    else:
        rel.authorisation = Role.EXTERNAL
    with pytest.raises(ValidationError) as exc:
        services.save_relation(rel)
    assert refusal(exc)[:2] == ("person", "inactive_person")
    saved = Relation.objects.get(pk=rel.pk)
    assert (saved.start_date, saved.end_date, saved.authorisation) == before


def test_an_application_without_the_bsn_grant_may_shorten_but_not_give_bsn(org_a, pair):
    """A COUNSELOR_PLUS relation shows the client's BSN: an application without the grant
    `bsn` cannot create one or extend it, and can still end it earlier."""
    joost, _ = pair
    boss = make_person(org_a, "boss", Role.COUNSELOR_PLUS)
    app = make_app(org_a, "no-bsn", grants=())
    with pytest.raises(NotAllowedError) as exc:
        services.save_relation(Relation(organization=org_a, client=joost, person=boss,
                                        authorisation="COUNSELOR_PLUS"), actor=app)
    assert (exc.value.code, str(exc.value)) == (
        "missing_grant", "A COUNSELOR_PLUS relation shows the client's BSN; this application "
                         "lacks the grant 'bsn' needed to give it.")
    rel = relation(org_a, joost, boss, "COUNSELOR_PLUS", end_date=today() + 10 * DAY)
    rel.end_date = today() + 5 * DAY
    services.save_relation(rel, actor=app)
    rel.end_date = today() + 6 * DAY
    with pytest.raises(NotAllowedError):
        services.save_relation(rel, actor=app)
    assert Relation.objects.get(pk=rel.pk).end_date == today() + 5 * DAY


def test_deleting_a_relation_that_ended_yesterday_changes_nothing(org_a, pair):
    """It has ended already: no new end date, no write (no change in the feed)."""
    rel = relation(org_a, *pair, start_date=today() - 9 * DAY, end_date=today() - DAY)
    modified = Relation.objects.get(pk=rel.pk).modified
    services.end_or_remove(Relation.objects.get(pk=rel.pk))
    saved = Relation.objects.get(pk=rel.pk)
    assert (saved.end_date, saved.modified) == (today() - DAY, modified)


def test_ending_writes_the_end_date_only(org_a, pair):
    """Ending a relation read before another writer changed it keeps that writer's change."""
    rel = relation(org_a, *pair, start_date=today() - 9 * DAY)
    stale = Relation.objects.get(pk=rel.pk)
    Relation.objects.filter(pk=rel.pk).update(external_id="ecd-7")
    services.end_or_remove(stale)
    saved = Relation.objects.get(pk=rel.pk)
    assert (saved.end_date, saved.external_id) == (today() - DAY, "ecd-7")

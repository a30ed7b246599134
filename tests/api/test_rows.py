"""Lists read as rows (RowsSerializerMixin) answer exactly what DRF's serializer answers from
model instances: same keys, same order, same values, same bytes."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from omgeving.accounts.api.serializers import UserListSerializer
from omgeving.accounts.models import User
from omgeving.api.serializers import RowsSerializerMixin

from ..helpers import admin_of, make_app, make_person

pytestmark = pytest.mark.django_db


def _people(org):
    """Awkward values: empty and missing ones, non-ASCII, U+2028, every role type,
    an inactive person, microseconds and none."""
    make_app(org, "koppeling")
    admin_of(org, "beheer", device=False)
    make_person(org, "anna", first_name="Änna", last_name="de Vries\u2028", email="",
                external_id=None, display_name="")
    make_person(org, "bram", role="GUARDIAN", email="bram@example.org", external_id="ecd-1",
                display_name="Bram “B” ☃", is_active=False)
    person = make_person(org, "cees", role="COUNSELOR_PLUS", external_id="")
    User.objects.filter(pk=person.pk).update(
        modified=timezone.now().replace(microsecond=0) - datetime.timedelta(days=3))
    return User.objects.for_organization(org).order_by("id")


MAKERS = {User: _people}


def row_serializers():
    found, todo = [], [RowsSerializerMixin]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls is not RowsSerializerMixin:
            found.append(cls)
    return found


def test_every_rows_serializer_is_tested_here():
    """A new list read as rows must bring its awkward objects to this file."""
    assert row_serializers(), "the users list reads rows"
    missing = [s.__name__ for s in row_serializers() if s.Meta.model not in MAKERS]
    assert not missing, f"add a maker to MAKERS for {missing}"


@pytest.mark.parametrize("serializer_class", row_serializers(), ids=lambda c: c.__name__)
def test_rows_answer_what_the_serializer_answers(serializer_class, org_a):
    objects = list(MAKERS[serializer_class.Meta.model](org_a))
    expected = serializer_class(objects, many=True).data
    plan = serializer_class.row_plan()
    rows = list(type(objects[0]).objects.for_organization(org_a).order_by("id")
                .values(*plan.columns))
    got = plan.represent(rows)
    assert [list(item) for item in got] == [list(item) for item in expected]  # key order
    assert got == [dict(item) for item in expected]
    assert JSONRenderer().render(got) == JSONRenderer().render(expected)
    assert len(got) >= 5


def test_a_field_that_is_no_column_must_say_which_columns_it_needs():
    class Broken(RowsSerializerMixin, UserListSerializer.__bases__[1]):
        class Meta:
            model = User
            fields = ["id", "roles"]

    with pytest.raises(TypeError, match="roles"):
        Broken.row_plan()

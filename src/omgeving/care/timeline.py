"""Rule 3 — reading as a person: a viewer's timeline of the content around the clients they
relate to, newest first, with only the categories the access table gives them towards each
client (authors.categories, on today's date). Withheld categories are named, per client, as
`not_authorised` — JO says "you are not authorised to see this information" rather than hide
that it exists.

Messages are shown from the threads the viewer takes part in (or whose client they are): a
thread is a conversation among its participants, not a notice board of the network.

The order is (created, category, id), newest first; `after` is an opaque cursor naming the
last item seen, so a page costs the same at any depth and nothing is skipped or repeated.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from omgeving.accounts.models import Role, User
from omgeving.errors import raises
from omgeving.errors import rule_error as _error
from omgeving.network.access import ABOUT_THE_CLIENT, CONTENT, paths_of_person
from omgeving.network.models import today

from .models import Appointment, Document, Goal, GoalProgress, Message, Report

# (category, resource, model): the rank in this tuple breaks ties of `created`.
SOURCES = (
    ("messages", "messages", Message),
    ("appointments", "appointments", Appointment),
    ("goals", "goals", Goal),
    ("goals", "goal-progress", GoalProgress),
    ("reports", "reports", Report),
    ("documents", "documents", Document),
)


@dataclass
class Page:
    items: list[dict]
    after: str | None
    withheld: list[dict]


def visible_categories(viewer: User, day: datetime.date) -> dict[int, set[str]]:
    """client id → the content categories the viewer may see of that client today."""
    if viewer.authorisation == Role.CLIENT:
        return {viewer.pk: set(CONTENT)} if viewer.is_active else {}
    found: dict[int, set[str]] = {}
    for path in paths_of_person(viewer, day):
        found.setdefault(path.client_id, set()).update(
            c for c in ABOUT_THE_CLIENT[path.authorisation] if c in CONTENT)
    return found


def _encode(created: datetime.datetime, rank: int, pk: int) -> str:
    raw = f"{created.isoformat()}|{rank}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@raises("invalid_cursor")
def _decode(after: str) -> tuple[datetime.datetime, int, int]:
    try:
        raw = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode()
        created, rank, pk = raw.split("|")
        moment = datetime.datetime.fromisoformat(created)
        rank_, pk_ = int(rank), int(pk)
        if moment.tzinfo is None or not 0 <= rank_ < len(SOURCES) or not 0 < pk_ < 2**63:
            raise ValueError(after)
        moment = moment.astimezone(datetime.UTC)  # an extreme date overflows here, not in SQL
        if not 1900 <= moment.year <= 2199:
            raise ValueError(after)
        return moment, rank_, pk_
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError):
        raise _error("after", _("A cursor this timeline did not give."),
                     "invalid_cursor") from None


def _older_than(cursor, rank: int) -> Q:
    created, cursor_rank, pk = cursor
    if rank < cursor_rank:
        return Q(created__lte=created)
    if rank > cursor_rank:
        return Q(created__lt=created)
    return Q(created__lt=created) | Q(created=created, id__lt=pk)


def _item(category: str, resource: str, rank: int, obj) -> dict:
    if isinstance(obj, Message):
        title = obj.thread.subject
    elif isinstance(obj, GoalProgress):
        title = f"{obj.goal.title}: {obj.score}/10"
    else:  # appointments, goals, reports, documents
        title = obj.title
    return {"category": category, "resource": resource, "id": obj.pk,
            "client": obj.client_id, "author": obj.author_id, "title": title,
            "created": obj.created, "url": f"/api/{resource}/{obj.pk}/"
            if resource not in ("goal-progress",) else f"/api/goals/{obj.goal_id}/progress/",
            "_key": (obj.created, rank, obj.pk)}


@raises("invalid_cursor")
def timeline(viewer: User, *, client: int | None = None, category: str | None = None,
             after: str | None = None, limit: int = 25, readable: set[str]) -> Page:
    """The page of `viewer`'s timeline. `readable`: the categories the calling application
    may read (its grants, the organisation's features); the others are not looked at."""
    cursor = _decode(after) if after else None
    day = today()
    visible = visible_categories(viewer, day)
    clients = [client] if client is not None else sorted(visible)
    withheld = [{"client": c, "not_authorised": [x for x in CONTENT
                                                 if x not in visible.get(c, set())]}
                for c in clients]
    withheld = [w for w in withheld if w["not_authorised"]]
    candidates = []
    for rank, (cat, resource, model) in enumerate(SOURCES):
        if cat not in readable or (category is not None and cat != category):
            continue
        ids = [c for c in clients if cat in visible.get(c, set())]
        if not ids:
            continue
        rows = model.objects.for_organization(viewer.organization).filter(client_id__in=ids)
        if model is Message:
            rows = rows.filter(Q(thread__client_id=viewer.pk)
                               | Q(thread__participations__user_id=viewer.pk)).distinct() \
                .select_related("thread")
        if model is GoalProgress:
            rows = rows.select_related("goal")
        if cursor is not None:
            rows = rows.filter(_older_than(cursor, rank))
        for obj in rows.order_by("-created", "-id")[:limit + 1]:
            candidates.append(_item(cat, resource, rank, obj))
    candidates.sort(key=lambda item: item["_key"], reverse=True)
    page, more = candidates[:limit], len(candidates) > limit
    for item in page:
        key = item.pop("_key")
    return Page(page, _encode(*key) if more and page else None, withheld)

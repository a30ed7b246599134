"""Writing content around a client: every write goes through these functions, from the API
and anywhere else, with the rules of authors.py (rule 1), participants.py (rule 2) and
files.py (rule 7), and deleting leaves a tombstone (rule 4).

Rule                                                               code
the content's client is an active CLIENT of this organisation      not_a_client
the client of written content never changes                        client_immutable
the author may write this category for this client today           author_not_permitted (403)
participants are in the client's network on that date              not_in_network
no thread or appointment holds two clients                         two_clients
a message's author takes part in its thread (or is its client)     not_a_participant
a closed thread takes no new messages                              thread_closed (409)
an appointment ends after it starts                                end_before_start
external_id is unique in the organisation                          external_id_taken (409)
a document's file: size, type by content, virus scanner            file_too_large (413),
                                                                   unsupported_file_type (415),
                                                                   file_rejected

Every write names its author: the person on whose behalf an application writes. A create
stores them as `author`; a later change on someone's behalf is checked the same way and
stored as `editor` (the author stays who wrote it).
"""

from __future__ import annotations

import os

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omgeving.accounts.models import User
from omgeving.errors import raises
from omgeving.errors import rule_error as _error
from omgeving.network.models import today
from omgeving.tenancy.services import check_unique

from .authors import check_author, check_client
from .files import check_file
from .models import (
    Appointment,
    Content,
    Document,
    Goal,
    GoalProgress,
    Message,
    MessageThread,
    Participant,
    Report,
)
from .participants import check_participants


def _stored(obj, *fields):
    return type(obj).all_objects.for_organization(obj.organization).filter(
        pk=obj.pk).values(*fields).first() or {}


DATED = ("starts_at", "ends_at", "target_date", "recorded_on", "occurred_on")


@raises("date_out_of_range")
def _check_dates(obj: Content) -> None:
    """Dates a writer gives lie between 1900 and 2199, as everywhere in the API (a report
    of 0001-01-01 or progress of 9999-12-31 is a typo, and breaks sorting and mirrors)."""
    from omgeving.network.services import EARLIEST, LATEST

    for field in DATED:
        value = getattr(obj, field, None)
        day = value.date() if hasattr(value, "date") else value
        if day is not None and not EARLIEST <= day <= LATEST:
            raise _error(field, _("Dates lie between %(earliest)s and %(latest)s.")
                         % {"earliest": EARLIEST, "latest": LATEST}, "date_out_of_range")


@raises("client_immutable", also=(check_client, check_author, _check_dates))
def _check(obj: Content, on_behalf_of: User | None, actor: User | None) -> None:
    _check_dates(obj)
    check_client(obj)
    if obj.pk is None:
        obj.author = on_behalf_of or obj.author
        check_author(obj)
        if actor is not None and actor.is_application:
            obj.written_by = actor
        return
    before = _stored(obj, "author_id", "client_id")
    if before.get("client_id", obj.client_id) != obj.client_id:
        raise _error("client", _("Content stays with its client: the client cannot change."),
                     "client_immutable")
    obj.author_id = before.get("author_id", obj.author_id)  # the author stays who wrote it
    person = on_behalf_of or obj.author
    editor, obj.author = obj.author, person
    try:
        check_author(obj)
    finally:
        obj.author = editor
    obj.editor = person


@raises("conflict")
def _save(obj: Content, *external_id) -> Content:
    if external_id:
        obj.external_id = obj.external_id or None
    obj.full_clean(validate_unique=False, validate_constraints=False)
    if external_id:
        check_unique(obj, "external_id")
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:  # a concurrent writer got there first
        if external_id:
            check_unique(obj, "external_id")  # its row is visible now: external_id_taken
        raise  # any other refusal: the frame's 409 `conflict` (api/errors.py)
    return obj


def _field(obj) -> str:
    return "thread" if isinstance(obj, MessageThread) else "appointment"


def participant_ids(obj) -> list[int]:
    """The people taking part in a thread or an appointment."""
    if obj.pk is None:
        return []
    return list(Participant.objects.for_organization(obj.organization).filter(
        **{_field(obj): obj}).values_list("user_id", flat=True))


def _set_participants(obj, people: list[User]) -> None:
    current, wanted = set(participant_ids(obj)), {p.pk for p in people}
    rows = Participant.objects.for_organization(obj.organization).filter(**{_field(obj): obj})
    rows.filter(user_id__in=current - wanted).delete()
    Participant.objects.bulk_create([
        Participant(organization=obj.organization, user=person, **{_field(obj): obj})
        for person in {p.pk: p for p in people}.values() if person.pk not in current])


def _added(obj, people: list[User] | None) -> list[User]:
    if people is None:
        return []
    current = set(participant_ids(obj))
    return [p for p in people if p.pk not in current]


@transaction.atomic
@raises("external_id_taken", also=(_check, check_participants, _save))
def save_thread(thread: MessageThread, *, actor: User | None = None,
                on_behalf_of: User | None = None,
                participants: list[User] | None = None) -> MessageThread:
    """A thread around one client. Its author takes part; participants added (on create or
    later) are in the client's network today."""
    _check(thread, on_behalf_of, actor)
    if thread.pk is None:
        participants = list(participants or [])
        if thread.author.pk not in {p.pk for p in participants}:
            participants.append(thread.author)
    check_participants(thread, _added(thread, participants), today())
    _save(thread, "external_id")
    if participants is not None:
        _set_participants(thread, participants)
    return thread


@transaction.atomic
@raises("thread_closed", "not_a_participant", also=(_check, _save))
def save_message(message: Message, *, actor: User | None = None,
                 on_behalf_of: User | None = None) -> Message:
    """A message in a thread, by the client or one of the thread's participants. Messages
    are never edited."""
    thread = message.thread
    message.client_id = thread.client_id
    if thread.closed_at is not None:
        raise _error(None, _("The thread is closed: it takes no new messages."),
                     "thread_closed")
    _check(message, on_behalf_of, actor)
    author = message.author
    if author.pk != thread.client_id and author.pk not in participant_ids(thread):
        raise _error("author", _("A message's author is the thread's client or one of its "
                                 "participants."), "not_a_participant")
    return _save(message)


@transaction.atomic
@raises("end_before_start", "external_id_taken", also=(_check, check_participants, _save))
def save_appointment(appointment: Appointment, *, actor: User | None = None,
                     on_behalf_of: User | None = None,
                     participants: list[User] | None = None) -> Appointment:
    """An appointment of one client; its participants are in the client's network on the
    appointment's date (all of them again when the date moves)."""
    _check(appointment, on_behalf_of, actor)
    if appointment.ends_at <= appointment.starts_at:
        raise _error("ends_at", _("An appointment ends after it starts."), "end_before_start")
    day = today(appointment.starts_at)
    moved = appointment.pk is not None and \
        _stored(appointment, "starts_at").get("starts_at") != appointment.starts_at
    if moved:
        people = participants if participants is not None else list(
            User.objects.for_organization(appointment.organization).filter(
                pk__in=participant_ids(appointment)))
    else:
        people = _added(appointment, participants)
    check_participants(appointment, people, day)
    _save(appointment, "external_id")
    if participants is not None:
        _set_participants(appointment, participants)
    return appointment


@transaction.atomic
@raises("external_id_taken", also=(_check, _save))
def save_goal(goal: Goal, *, actor: User | None = None,
              on_behalf_of: User | None = None) -> Goal:
    _check(goal, on_behalf_of, actor)
    return _save(goal, "external_id")


@transaction.atomic
@raises(also=(_check, _save))
def save_progress(progress: GoalProgress, *, actor: User | None = None,
                  on_behalf_of: User | None = None) -> GoalProgress:
    """A step of progress on a goal, by someone who may write the client's goals."""
    progress.client_id = progress.goal.client_id
    _check(progress, on_behalf_of, actor)
    return _save(progress)


@transaction.atomic
@raises("external_id_taken", also=(_check, _save))
def save_report(report: Report, *, actor: User | None = None,
                on_behalf_of: User | None = None) -> Report:
    """A report (by a counselor) or a diary entry (by the client or a guardian)."""
    _check(report, on_behalf_of, actor)
    return _save(report, "external_id")


@transaction.atomic
@raises("external_id_taken", also=(_check, check_file, _save))
def save_document(document: Document, *, actor: User | None = None,
                  on_behalf_of: User | None = None, upload=None) -> Document:
    """A new document: the rules first, then the file's checks, then the file is stored
    under a random name and the row saved; if the row is refused (a taken external_id too),
    the file is removed again. Documents are not changed afterwards."""
    _check(document, on_behalf_of, actor)
    document.content_type, document.size, document.sha256 = check_file(upload)
    document.filename = _safe_name(getattr(upload, "name", "") or "document")
    document.file.save("upload", upload, save=False)
    try:
        return _save(document, "external_id")
    except BaseException:
        # No row points to the bytes: they go (health data is not kept unreachable).
        document.file.storage.delete(document.file.name)
        raise


def _safe_name(name: str) -> str:
    """The uploaded name, for the download's Content-Disposition only: no path, no control
    characters, at most 200 characters."""
    name = os.path.basename(name.replace("\\", "/"))
    name = "".join(c for c in name if c.isprintable() and c not in '"\\;')
    return (name or "document")[:200]


@transaction.atomic
def remove(obj: Content, *, actor: User | None = None) -> None:
    """Rule 4: nothing health-related is hard-deleted. A DELETE leaves a tombstone with who
    deleted it; a document keeps its file."""
    obj.deleted_at = timezone.now()
    obj.deleted_by = actor
    obj.save(update_fields=["deleted_at", "deleted_by", "modified"])

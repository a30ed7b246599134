"""The change feed.

**Recording.** Every save and delete of a registered model (each app registers its API
resources in its AppConfig.ready; a test checks that every resource the API exposes is
registered) appends one ChangeEvent from Django's post_save / post_delete signals, inside the
transaction of the change: the event commits with the change or not at all. Events carry no
personal data: resource, id, external_id, action, version, time.

**No gaps, in commit order.** Each organisation has a counter row (ChangeCounter). Appending
an event takes the next number and locks that row in one statement (UPDATE … RETURNING),
keeping the lock until the transaction ends; a second writer of the same organisation waits
at that point. So the numbers of one organisation are gapless and commit in order: a reader
that has seen number n has seen every number below it, and the next one to commit is n + 1.
(A plain id sequence would not do on PostgreSQL: ids handed out in one transaction can
commit after a later one's.) On SQLite the database itself lets one writer in at a time. The
cost: writers of one organisation serialise from their first event to their commit — in this
API that is the end of one request's transaction. Writers of different organisations never
wait for each other.

**Reading.** `feed(...)` answers events after a cursor, oldest first, for the resources the
caller may read. Cursors are opaque (the sequence number, base64url). Events older than
CHANGES_RETENTION are pruned (`omgeving prune_changes`); a cursor whose next event was pruned
answers 410 `cursor_expired` — exactly then, since numbers are gapless.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone
from django.utils.translation import gettext as _

from omgeving.errors import Gone, rule_error

from .models import ChangeCounter, ChangeEvent


@dataclass(frozen=True)
class Registration:
    resource: str
    grant_family: str
    object_id: object  # obj → the id an integrator fetches
    ignore_fields: frozenset  # saves of only these fields are not a change of the resource
    versioned: bool  # the model keeps its own `version` (the ETag); else counted from events


REGISTRY: dict[type, Registration] = {}
_COMMIT_LISTENERS: list = []


def on_commit_of_events(listener) -> None:
    """Call `listener(organization_id)` after a transaction that appended events of that
    organisation commits (once per transaction and organisation; never after a rollback)."""
    if listener not in _COMMIT_LISTENERS:
        _COMMIT_LISTENERS.append(listener)


def _announce(organization_id) -> None:
    if not _COMMIT_LISTENERS:
        return
    pending = [f for _sids, f, _robust in connection.run_on_commit]
    if any(getattr(f, "organization_id", None) == organization_id for f in pending):
        return

    def committed():
        for listener in _COMMIT_LISTENERS:
            listener(organization_id)

    committed.organization_id = organization_id
    # robust: a listener that fails (the queue's table unreachable) is logged and does not
    # turn a committed change into an error answer; the webhook sweep catches up.
    transaction.on_commit(committed, robust=True)


def register(model, resource: str, *, grant_family: str, object_id=None,
             ignore_fields=()) -> None:
    """Put a model's creates, updates and deletes into the feed as `resource`."""
    versioned = any(f.name == "version" for f in model._meta.get_fields())
    REGISTRY[model] = Registration(resource, grant_family, object_id or (lambda obj: obj.pk),
                                   frozenset(ignore_fields), versioned)
    uid = f"omgeving.changes.{model._meta.label}"
    pre_save.connect(_saving, sender=model, dispatch_uid=uid + ".pre_save")
    post_save.connect(_saved, sender=model, dispatch_uid=uid + ".save")
    post_delete.connect(_deleted, sender=model, dispatch_uid=uid + ".delete")


def resources() -> dict[str, str]:
    """Resource name → the grant family whose read grant shows it."""
    return {r.resource: r.grant_family for r in REGISTRY.values()}


def readable_resources(user) -> list[str]:
    """The resources whose events `user` may see: those of the families it may read (the
    feed's view and the webhook worker alike)."""
    from omgeving.accounts import grants

    return sorted(resource for resource, family in resources().items()
                  if user.has_grant(grants.for_action(family, safe=True)))


def _counts(registration, update_fields) -> bool:
    return not (update_fields and set(update_fields) <= registration.ignore_fields)


def _counter(organization_id, step: int) -> int:
    """Add `step` to the organisation's counter and answer the new value, in one statement
    that also locks the counter row until this transaction ends (see the module's
    docstring): events and versions of one organisation are handed out one writer at a
    time. The row is made on the organisation's first event."""
    table = ChangeCounter._meta.db_table
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET last_seq = last_seq + %s "  # noqa: S608
                           "WHERE organization_id = %s RETURNING last_seq",
                           [step, organization_id])
            row = cursor.fetchone()
        if row is not None:
            return row[0]
        ChangeCounter.objects.get_or_create(organization_id=organization_id)
    raise RuntimeError("the change counter could not be created")


def _lock(organization_id) -> None:
    _counter(organization_id, 0)


def _saving(sender, instance, update_fields=None, raw=False, **kwargs):
    """Before the row is written: the next version, read under the lock so that concurrent
    writers of one object cannot both take the same number."""
    registration = REGISTRY[sender]
    if raw or not registration.versioned or not _counts(registration, update_fields):
        return
    if instance._state.adding or instance.pk is None:
        instance.version = 1
        return
    if getattr(instance, "organization_id", None) is not None and transaction.get_autocommit():
        raise RuntimeError(f"{sender.__name__} saved outside a transaction: its change "
                           "event would not commit with it")
    if getattr(instance, "organization_id", None) is not None:
        _lock(instance.organization_id)
    current = sender._base_manager.filter(pk=instance.pk).values_list(
        "version", flat=True).first()
    instance.version = (current or 0) + 1


def _saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw:
        return
    registration = REGISTRY[sender]
    if not created and not _counts(registration, update_fields):
        return
    if registration.versioned and update_fields and "version" not in update_fields:
        sender._base_manager.filter(pk=instance.pk).update(version=instance.version)
    if getattr(instance, "deleted_at", None) is not None:  # a tombstone (tenancy.Tombstoned)
        action = ChangeEvent.Action.DELETED
    else:
        action = ChangeEvent.Action.CREATED if created else ChangeEvent.Action.UPDATED
    append(instance, registration, action)


def _deleted(sender, instance, **kwargs):
    if REGISTRY[sender].versioned:
        instance.version += 1  # the deletion is the object's last change
    append(instance, REGISTRY[sender], ChangeEvent.Action.DELETED)


def append(instance, registration: Registration, action: str) -> ChangeEvent | None:
    organization_id = getattr(instance, "organization_id", None)
    if organization_id is None:
        return None  # platform users belong to no organisation's feed
    object_id = registration.object_id(instance)
    with transaction.atomic(savepoint=False):
        _announce(organization_id)
        seq = _counter(organization_id, 1)
        if registration.versioned:
            version = instance.version
        else:
            events = ChangeEvent.objects.for_organization(organization_id).filter(
                resource=registration.resource, object_id=object_id)
            version = (events.aggregate(v=Max("version"))["v"] or 0) + 1
        return ChangeEvent.objects.create(
            organization_id=organization_id, seq=seq,
            resource=registration.resource, object_id=object_id,
            external_id=getattr(instance, "external_id", None) or None, action=action,
            version=version, at=timezone.now())


def append_many(instances: list, action: str) -> None:
    """One event per object written without signals (a multi-row INSERT of new objects of
    one model and organisation), numbered in one step of the counter — the same events,
    in the same transaction, that saving them one by one would append."""
    if not instances:
        return
    registration = REGISTRY[type(instances[0])]
    organization_id = instances[0].organization_id
    with transaction.atomic(savepoint=False):
        _announce(organization_id)
        last = _counter(organization_id, len(instances))
        at = timezone.now()
        ChangeEvent.objects.bulk_create([ChangeEvent(
            organization_id=organization_id, seq=last - len(instances) + n,
            resource=registration.resource, object_id=registration.object_id(obj),
            external_id=getattr(obj, "external_id", None) or None, action=action,
            version=obj.version if registration.versioned else 1, at=at)
            for n, obj in enumerate(instances, 1)])


# --- reading ---------------------------------------------------------------------------------

LATEST = "latest"
RESYNC = ("Events after this cursor were pruned (retention CHANGES_RETENTION). Resynchronise: "
          "take the position now with GET /api/changes/?after=latest, read the lists again, "
          "then follow the feed from that position.")


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("s") or not raw[1:].isdigit():
            raise ValueError
        return int(raw[1:])
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise rule_error("after", _("Not a cursor of this feed."), "invalid_cursor") from exc


def _last_seq(organization) -> int:
    counter = ChangeCounter.objects.filter(organization=organization).first()
    return counter.last_seq if counter else 0


def feed(organization, *, after: str | None, resources: list[str], limit: int):
    """Up to `limit` events after the cursor, of `resources`, oldest first; returns
    (events, next_cursor, has_more). Without a cursor the feed starts at the oldest event
    kept; `latest` is the position now (no events). Gone (410 `cursor_expired`) when events
    after the cursor were pruned."""
    # The highest committed number, read before the events: every event up to it is
    # committed, so the query below sees them all (numbers commit in order).
    last = _last_seq(organization)
    if after == LATEST:
        return [], encode_cursor(last), False
    seq = decode_cursor(after) if after else 0
    kept = ChangeEvent.objects.for_organization(organization)
    if after:
        oldest = kept.order_by("seq").values_list("seq", flat=True).first()
        if (oldest is None and last > seq) or (oldest is not None and oldest > seq + 1):
            raise Gone(RESYNC, code="cursor_expired")
    events = list(kept.filter(seq__gt=seq, resource__in=resources).order_by("seq")
                  [:limit + 1])
    has_more = len(events) > limit
    events = events[:limit]
    if events:
        return events, encode_cursor(events[-1].seq), has_more
    # Nothing more of these resources up to `last`: continue from there.
    return events, encode_cursor(max(seq, last)), False


def prune(now=None) -> int:
    """Delete events older than CHANGES_RETENTION; returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.CHANGES_RETENTION)
    deleted, _ = ChangeEvent.objects.all_organizations().filter(at__lt=cutoff).delete()
    return deleted

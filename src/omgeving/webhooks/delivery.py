"""Delivering webhooks: what one run of the `deliver` task does, and the recurring sweep.

**Outbox.** The change feed is the outbox: an event commits with its change. A
subscription's `cursor` is the last event it handled; nothing moves it but a 2xx from the
receiver (or an event the subscription does not want). So an event is delivered at least
once, whatever dies when.

**Waking.** After a commit, the organisation's subscriptions are woken (services.wake): a
`deliver` task is queued through Django's task framework (django-tasks, database backend)
unless one is queued already. If that wake-up is lost — the process died between commit and
queueing, or a worker died in the middle of a run — the sweep (every
OMGEVING_WEBHOOK_SWEEP_INTERVAL seconds, itself a task that queues its next run) finds every
subscription behind the feed whose worker's lease ran out and wakes it.

**One at a time, in order.** A run first takes the subscription's lease (a conditional
UPDATE: one worker wins, on SQLite and on PostgreSQL alike), renews it before each attempt
and gives it back at the end; another worker's run for the same subscription finds it taken
and leaves. Events go out oldest first, one at a time: while the oldest one fails, the later
ones wait (head-of-line), so a receiver sees them in feed order.

**Retries.** A failed attempt (no 2xx, a timeout, a redirect, a refused address) is tried
again after an exponential backoff with jitter (OMGEVING_WEBHOOK_BACKOFF_BASE doubled each
time up to OMGEVING_WEBHOOK_BACKOFF_MAX, times a random 0.5–1); the retry is a task queued
to run then. When the oldest event has failed for OMGEVING_WEBHOOK_RETRY_FOR (24 hours),
the subscription is switched off with the reason; switching it on again resumes at that
event.
"""

from __future__ import annotations

import datetime
import logging
import random
import secrets
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from omgeving.changes import services as changes
from omgeving.changes.models import ChangeCounter, ChangeEvent
from omgeving.timestamps import rfc3339

from . import services
from .models import SweepSchedule, Webhook, WebhookDelivery
from .sending import Outcome, http_client, send

log = logging.getLogger("omgeving.webhooks")
ATTEMPT_LOG = 25  # attempts kept per delivery
BATCH = 200  # feed events read at a time
RUN_LIMIT = 500  # deliveries per run; then the run queues its successor (fairness)
RUN_SECONDS = 30  # and at most this long: a slow receiver's backlog does not hold a worker


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: exponential, capped,
    with jitter (a random 50–100 % of it) so that receivers coming back are not hit at once."""
    ceiling = min(settings.WEBHOOK_BACKOFF_MAX, settings.WEBHOOK_BACKOFF_BASE * 2 ** (attempts - 1))
    return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not a secret)


def _record(delivery: WebhookDelivery, result: Outcome, now) -> None:
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or now
    delivery.status_code, delivery.duration_ms = result.status_code, result.duration_ms
    delivery.error = result.error
    delivery.attempt_log = [*delivery.attempt_log, {
        "at": rfc3339(now), "status_code": result.status_code,
        "duration_ms": result.duration_ms, "error": result.error}][-ATTEMPT_LOG:]
    if result.ok:
        delivery.state, delivery.delivered_at, delivery.next_retry_at = \
            WebhookDelivery.State.DELIVERED, now, None
    log.info("webhook %s %s %s: %s in %d ms%s", delivery.webhook_id, delivery.event_type,
             delivery.event_id, result.status_code or "-", result.duration_ms,
             f" ({result.error})" if result.error else "")


# --- one run ---------------------------------------------------------------------------------

class Lease:
    """The right to deliver for one subscription: one worker at a time."""

    def __init__(self, webhook_id: int):
        self.webhook_id = webhook_id
        self.owner = secrets.token_hex(16)

    def _rows(self):
        return Webhook.objects.all_organizations().filter(pk=self.webhook_id)

    def take(self) -> bool:
        now = timezone.now()
        return bool(self._rows().filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                    .update(lease_owner=self.owner, queued_at=None, lease_until=self._until()))

    def renew(self) -> bool:
        return bool(self._rows().filter(lease_owner=self.owner).update(
            lease_until=self._until()))

    def release(self, *, unless_woken: bool) -> bool:
        """Give the lease back — with `unless_woken`, only if nobody woke the subscription
        meanwhile (then keep it and run on: that wake-up's task found the lease taken)."""
        rows = self._rows().filter(lease_owner=self.owner)
        if unless_woken:
            rows = rows.filter(queued_at__isnull=True)
        released = bool(rows.update(lease_owner="", lease_until=None))
        if not released and unless_woken:
            self._rows().filter(lease_owner=self.owner).update(queued_at=None)
        return released

    def _until(self):
        return timezone.now() + datetime.timedelta(seconds=settings.WEBHOOK_LEASE)


def run(webhook_id: int) -> int:
    """Deliver what is due for one subscription; returns how many attempts were made."""
    lease = Lease(webhook_id)
    if not lease.take():
        return 0  # another worker delivers for it now
    attempts, started = 0, time.monotonic()
    try:
        with http_client() as client:
            session = _Session(webhook_id, lease, client)
            while True:
                made, more = session.step()
                attempts += made
                if more is None:  # waiting (a retry is queued), switched off, or lease lost
                    break
                if more and (attempts >= RUN_LIMIT
                             or time.monotonic() - started >= RUN_SECONDS):
                    services.wake(webhook_id, force=True)  # let other subscriptions in
                    break
                if not more:
                    if lease.release(unless_woken=True):
                        return attempts
                    session.woken()  # woken meanwhile: look again
    finally:
        lease.release(unless_woken=False)
    return attempts


class _Session:
    """One run's state, so that a delivery costs one transaction (its log row and the
    cursor) and the HTTP request: the subscription is re-read when the lease is renewed
    (every third of its length), the feed read 200 events at a time, pings and
    redeliveries looked for at most once a second."""

    def __init__(self, webhook_id: int, lease: Lease, client):
        self.webhook_id, self.lease, self.client = webhook_id, lease, client
        self.webhook: Webhook | None = None
        self.renewed = 0.0
        self.manual_checked = 0.0
        self.buffer: list[ChangeEvent] = []
        self.head_checked = False
        self.readable: set[str] = set()

    def _held(self):
        """The subscription's row while this run holds its lease (else no row)."""
        return Webhook.objects.all_organizations().filter(pk=self.webhook_id,
                                                          lease_owner=self.lease.owner)

    def woken(self) -> None:
        self.manual_checked = 0.0

    def _refresh(self) -> bool:
        """Renew the lease and re-read the subscription; False when it is no longer ours
        to deliver (lease lost, switched off, deleted)."""
        if self.webhook is not None and not self.lease.renew():
            return False
        self.renewed = time.monotonic()
        self.webhook = Webhook.objects.all_organizations().select_related(
            "owner", "organization").filter(pk=self.webhook_id).first()
        if self.webhook is None or not self.webhook.is_active or \
                not self.webhook.organization.is_active:
            return False  # (an organisation switched off keeps its webhooks for later)
        reason = services.owner_refusal(self.webhook.owner)
        if reason:
            services.set_active(self.webhook, False, reason=reason)
            return False
        self.readable = set(changes.readable_resources(self.webhook.owner))
        return True

    def step(self) -> tuple[int, bool | None]:
        """Deliver one due item: (attempts made, whether more may be due), None when the
        run should end without looking again."""
        if (self.webhook is None or time.monotonic() - self.renewed
                > settings.WEBHOOK_LEASE / 3) and not self._refresh():
            return 0, None
        webhook = self.webhook
        assert webhook is not None
        if time.monotonic() - self.manual_checked >= 1.0:
            self.manual_checked = time.monotonic()
            manual = WebhookDelivery.objects.all_organizations().filter(
                webhook=webhook, state=WebhookDelivery.State.PENDING).exclude(
                kind=WebhookDelivery.Kind.EVENT).order_by("id").first()
            if manual is not None:
                self.manual_checked = 0.0  # there may be more
                result = send(self.client, webhook, manual)
                _record(manual, result, timezone.now())
                if not result.ok:
                    manual.state = WebhookDelivery.State.FAILED
                with transaction.atomic():
                    if not self._held().select_for_update().exists():
                        return 1, None  # the webhook was deleted (or the lease lost) meanwhile
                    manual.save()
                return 1, True
        if webhook.next_attempt_at and webhook.next_attempt_at > timezone.now():
            return 0, None  # the head event waits for its retry, which is queued
        head = None
        if not self.head_checked:  # an event a former run began and did not get through
            self.head_checked = True
            head = WebhookDelivery.objects.all_organizations().filter(
                webhook=webhook, kind=WebhookDelivery.Kind.EVENT,
                state=WebhookDelivery.State.RETRYING).order_by("id").first()
        if head is None:
            head = self._next_event()
            if head is None:
                return 0, False
        result = send(self.client, webhook, head)
        now = timezone.now()
        _record(head, result, now)
        with transaction.atomic():
            if result.ok:
                # Forwards only, and only while the lease is ours: an attempt that outlived
                # its lease is dropped (the worker that took over sends the event again).
                if not self._held().filter(cursor__lt=head.seq).update(
                        cursor=head.seq, next_attempt_at=None):
                    return 1, None
                head.save()
                webhook.cursor = head.seq
                return 1, True
            self.head_checked = False
            if not self._held().select_for_update().exists():  # lease lost, or deleted
                return 1, None
            if now - head.first_attempt_at >= datetime.timedelta(
                    seconds=settings.WEBHOOK_RETRY_FOR):
                head.state, head.next_retry_at = WebhookDelivery.State.FAILED, None
                head.save()
                services.set_active(webhook, False, reason=_(
                    "Event %(event)s could not be delivered for %(hours)s hours (last: "
                    "%(error)s).") % {"event": head.event_id,
                                      "hours": round(settings.WEBHOOK_RETRY_FOR / 3600, 1),
                                      "error": result.error})
                return 1, None
            head.state = WebhookDelivery.State.RETRYING
            head.next_retry_at = now + datetime.timedelta(seconds=backoff(head.attempts))
            head.save()
            self._held().update(next_attempt_at=head.next_retry_at)
            retry_at = head.next_retry_at
            transaction.on_commit(lambda: services.wake(webhook.pk, run_after=retry_at,
                                                        force=True))
        return 1, None

    def _next_event(self) -> WebhookDelivery | None:
        """The first feed event after the cursor that the subscription wants and its
        application may read, as an unsaved delivery (saved with its first attempt's
        outcome); moves the cursor past the events it does not want."""
        webhook = self.webhook
        assert webhook is not None
        skipped = webhook.cursor
        while True:
            if not self.buffer:
                self.buffer = list(ChangeEvent.objects.for_organization(
                    webhook.organization_id).filter(seq__gt=skipped).order_by("seq")[:BATCH])
                if not self.buffer:
                    break
            event = self.buffer.pop(0)
            if event.seq <= webhook.cursor:
                continue
            if event.resource in self.readable and services.matches(
                    webhook.events, f"{event.resource}.{event.action}"):
                payload = services.payload_of(event, webhook.organization)
                return WebhookDelivery(
                    organization_id=webhook.organization_id, webhook=webhook,
                    kind=WebhookDelivery.Kind.EVENT, event_id=payload["id"],
                    event_type=payload["type"], seq=event.seq, payload=payload,
                    state=WebhookDelivery.State.PENDING)
            skipped = event.seq
        if skipped > webhook.cursor:
            self._held().filter(cursor__lt=skipped).update(cursor=skipped)
            webhook.cursor = skipped
        return None


# --- the sweep -------------------------------------------------------------------------------

def sweep() -> int:
    """Wake every active subscription that has something due and no live worker: behind
    the feed, a retry whose time came, or a ping/redelivery waiting. Prune old deliveries,
    finished task rows, and run the apps' housekeeping (tenancy/housekeeping.py). Queues
    the next sweep. Returns how many were woken."""
    now = timezone.now()
    interval = datetime.timedelta(seconds=settings.WEBHOOK_SWEEP_INTERVAL)
    claimed = SweepSchedule.objects.filter(pk=1, next_run_at__lte=now + interval / 2).update(
        next_run_at=now + interval)
    if not claimed:
        return 0  # another chain of sweeps runs (see ensure_sweep)
    from .tasks import sweep as sweep_task

    sweep_task.using(run_after=now + interval).enqueue()
    head = ChangeCounter.objects.filter(organization=OuterRef("organization")).values("last_seq")
    due = Webhook.objects.all_organizations().filter(
        is_active=True, organization__is_active=True).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)).annotate(
        head=Subquery(head)).filter(
        Q(next_attempt_at__lte=now) | (Q(next_attempt_at__isnull=True) & Q(head__gt=F("cursor")))
        | Q(deliveries__state=WebhookDelivery.State.PENDING)).distinct()
    woken = sum(services.wake(pk, force=True) for pk in due.values_list("pk", flat=True))
    retention = now - datetime.timedelta(seconds=settings.CHANGES_RETENTION)
    WebhookDelivery.objects.all_organizations().filter(created__lt=retention).delete()
    _prune_task_rows(now - datetime.timedelta(hours=1))
    from omgeving.tenancy import housekeeping

    housekeeping.run()  # expired Idempotency-Keys, old login counters, orphaned files
    return woken


def _prune_task_rows(before) -> None:
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.finished().filter(finished_at__lt=before).delete()


def ensure_sweep() -> bool:
    """At a worker's start: start the chain of sweeps unless one is alive (its next run not
    overdue by more than two intervals). Returns whether one was started."""
    from .tasks import sweep as sweep_task

    now = timezone.now()
    overdue = now - datetime.timedelta(seconds=2 * settings.WEBHOOK_SWEEP_INTERVAL)
    schedule, created = SweepSchedule.objects.get_or_create(pk=1, defaults={"next_run_at": now})
    if not created and schedule.next_run_at >= overdue:
        return False
    if not created and not SweepSchedule.objects.filter(
            pk=1, next_run_at=schedule.next_run_at).update(next_run_at=now):
        return False  # another worker started it just now
    sweep_task.enqueue()
    return True

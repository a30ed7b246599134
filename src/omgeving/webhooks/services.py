"""Webhook subscriptions: the rules of subscribing, rotating a secret, asking for a ping or a
redelivery, and waking the worker. Called by the API, the admin and the worker alike."""

from __future__ import annotations

import base64
import datetime
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from omgeving.changes import services as changes
from omgeving.changes.models import ChangeCounter, ChangeEvent
from omgeving.errors import raises, rule_error
from omgeving.timestamps import rfc3339

from . import ssrf
from .models import Webhook, WebhookDelivery

ACTIONS = tuple(ChangeEvent.Action.values)
PATTERN = re.compile(r"^(\*|[a-z][a-z_-]*\.(\*|[a-z]+))$")
SECRET_OVERLAP = datetime.timedelta(hours=24)
MAX_PER_APPLICATION = 10  # every write fans out to each: a bound, not a business rule


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@raises("unknown_event")
def clean_events(events) -> list[str]:
    """Each pattern once, in the order given; `*`, `<resource>.*` or `<resource>.<action>`
    of a resource in the change feed."""
    if not isinstance(events, list) or not events:
        raise rule_error("events", _("Name at least one event, e.g. `users.*`."),
                         "unknown_event")
    known = changes.resources()
    cleaned = []
    for event in events:
        if not isinstance(event, str) or not PATTERN.match(event):
            raise rule_error("events", _("'%(event)s' is not `*`, `<resource>.*` or "
                             "`<resource>.<action>`.") % {"event": event}, "unknown_event")
        if event != "*":
            resource, action = event.split(".")
            if resource not in known or action not in (*ACTIONS, "*"):
                raise rule_error("events", _("Unknown event '%(event)s': resources are "
                                 "%(resources)s; actions %(actions)s.") % {
                                     "event": event, "resources": ", ".join(sorted(known)),
                                     "actions": ", ".join(ACTIONS)}, "unknown_event")
        if event not in cleaned:
            cleaned.append(event)
    return cleaned


@raises("url_not_allowed")
def clean_url(url: str) -> str:
    try:
        ssrf.check(url)
    except ssrf.Refused as exc:
        raise rule_error("url", str(exc), "url_not_allowed") from exc
    return url


def matches(patterns: list[str], event_type: str) -> bool:
    resource, action = event_type.split(".")
    return any(p in ("*", event_type, f"{resource}.*") for p in patterns)


@raises("too_many_webhooks", also=(clean_events, clean_url))
def save_webhook(webhook: Webhook, actor=None, *, reason: str = "") -> Webhook:
    """Create or change a subscription (url, events, description, is_active).

    A new one belongs to the application that made it, gets its secret, and delivers the
    events that commit after it (the feed before it is read with GET /api/changes/).
    Switching one on again resumes where it stopped: the event it gave up on first.
    `reason`: why it is switched off, when this switches it off (default: by the
    subscriber)."""
    stored = None if webhook.pk is None else Webhook.objects.for_organization(
        webhook.organization_id).filter(pk=webhook.pk).values("url", "is_active").first()
    if stored is None or stored["url"] != webhook.url:  # (every delivery checks it again)
        webhook.url = clean_url(webhook.url)
    webhook.events = clean_events(webhook.events)
    with transaction.atomic():
        if stored is None:
            webhook.owner = webhook.owner if webhook.owner_id else actor
            if Webhook.objects.for_organization(webhook.organization_id).filter(
                    owner=webhook.owner).count() >= MAX_PER_APPLICATION:
                raise rule_error(None, _("This application has %(count)s webhooks already: "
                                 "delete one first.") % {"count": MAX_PER_APPLICATION},
                                 "too_many_webhooks")
            webhook.secret = new_secret()
            counter = ChangeCounter.objects.filter(organization=webhook.organization_id).first()
            webhook.cursor = counter.last_seq if counter else 0
            webhook.save()
            return webhook
        wanted, webhook.is_active = webhook.is_active, stored["is_active"]
        set_active(webhook, wanted, reason=reason, save=False)
        # Only what a subscriber changes: the worker's position, lease and retry time stay
        # as the worker wrote them (a full save would put back what this request read).
        webhook.save(update_fields=["url", "events", "description", "is_active",
                                    "disabled_reason", "disabled_at", "next_attempt_at",
                                    "modified"])
        if webhook.is_active:
            transaction.on_commit(lambda: wake(webhook.pk))
    return webhook


def owner_refusal(owner) -> str:
    """Why the application may no longer receive its webhooks ("" when it may): checked at
    every delivery run, so a deactivation, a lost role or a revoked grant — in the admin,
    the CLI or by SQL — stops deliveries and says why."""
    if not owner.is_active:
        return _("The application was deactivated.")
    if not owner.is_application:
        return _("The user is no longer an Application user.")
    if not owner.has_grant("webhooks"):
        return _("The application no longer holds the grant 'webhooks'.")
    return ""


def set_active(webhook: Webhook, active: bool, *, reason: str = "", save: bool = True):
    """Switch a subscription on or off (the API, the admin's action and the worker's giving
    up all come here). Off keeps the reason; on clears it and retries at once."""
    if active and not webhook.is_active:
        webhook.disabled_reason, webhook.disabled_at = "", None
        webhook.next_attempt_at = None
    elif not active and webhook.is_active:
        webhook.disabled_reason = reason or _("Switched off by the subscriber.")
        webhook.disabled_at = timezone.now()
    webhook.is_active = active
    if save:
        webhook.save(update_fields=["is_active", "disabled_reason", "disabled_at",
                                    "next_attempt_at", "modified"])
        if active:
            transaction.on_commit(lambda: wake(webhook.pk))
    return webhook


def rotate_secret(webhook: Webhook) -> Webhook:
    """A new secret; the old one keeps signing beside it for 24 hours (receivers accept
    either signature), so the receiver can be switched over without losing an event."""
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_until = timezone.now() + SECRET_OVERLAP
    webhook.secret = new_secret()
    webhook.save(update_fields=["secret", "previous_secret", "previous_secret_until",
                                "modified"])
    return webhook


def signing_secrets(webhook: Webhook, now=None) -> list[str]:
    now = now or timezone.now()
    keep = webhook.previous_secret and webhook.previous_secret_until and \
        webhook.previous_secret_until > now
    return [webhook.secret, webhook.previous_secret] if keep else [webhook.secret]


def event_id(organization, seq: int) -> str:
    return f"evt_{organization.slug}_{seq}"


def payload_of(event: ChangeEvent, organization) -> dict:
    """The thin body: which object changed, never what it holds (no personal data)."""
    return {"id": event_id(organization, event.seq), "type": f"{event.resource}.{event.action}",
            "object_id": event.object_id, "external_id": event.external_id,
            "version": event.version, "at": rfc3339(event.at),
            "cursor": changes.encode_cursor(event.seq)}


@raises("webhook_inactive")
def ping(webhook: Webhook) -> WebhookDelivery:
    """A `webhook.ping` event, delivered once, out of the feed's order."""
    _refuse_inactive(webhook)
    now = timezone.now()
    ident = f"ping_{secrets.token_hex(12)}"
    delivery = WebhookDelivery.objects.create(
        organization_id=webhook.organization_id, webhook=webhook,
        kind=WebhookDelivery.Kind.PING, event_id=ident, event_type="webhook.ping",
        payload={"id": ident, "type": "webhook.ping", "object_id": webhook.pk,
                 "external_id": None, "version": None,
                 "at": rfc3339(now), "cursor": None})
    transaction.on_commit(lambda: wake(webhook.pk))
    return delivery


@raises("webhook_inactive")
def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """The same event (same id, so a receiver that already has it can tell) once more,
    out of the feed's order."""
    webhook = delivery.webhook
    _refuse_inactive(webhook)
    again = WebhookDelivery.objects.create(
        organization_id=delivery.organization_id, webhook=webhook,
        kind=WebhookDelivery.Kind.REDELIVERY, event_id=delivery.event_id,
        event_type=delivery.event_type, seq=delivery.seq, payload=delivery.payload)
    transaction.on_commit(lambda: wake(webhook.pk))
    return again


def _refuse_inactive(webhook: Webhook) -> None:
    if not webhook.is_active:  # it would wait, unsent, until switched on
        raise rule_error(None, _("Switch the webhook on first."), "webhook_inactive")


# --- waking the worker ---------------------------------------------------------------------

def wake(webhook_id: int, *, run_after=None, force: bool = False) -> bool:
    """Queue a delivery run for one subscription unless one is queued already (`force`:
    queue anyway — a retry at `run_after`, or the sweep, which only wakes subscriptions no
    live worker holds). Returns whether a run was queued."""
    from .tasks import deliver

    now = timezone.now()
    rows = Webhook.objects.all_organizations().filter(pk=webhook_id)
    if not force:  # not when a run is queued already (a wake-up older than a lease is lost)
        stale = now - datetime.timedelta(seconds=settings.WEBHOOK_LEASE)
        rows = rows.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=stale))
    if not rows.update(queued_at=now) and not force:
        return False
    task = deliver.using(run_after=run_after) if run_after else deliver
    task.enqueue(webhook_id)
    return True


def kick_organization(organization_id) -> None:
    """After a commit with events of this organisation: wake its active subscriptions."""
    for webhook_id in Webhook.objects.for_organization(organization_id).filter(
            is_active=True).values_list("pk", flat=True):
        wake(webhook_id)

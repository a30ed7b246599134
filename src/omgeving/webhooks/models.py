"""Webhook subscriptions of Application users and the log of their deliveries.

The change feed (changes.ChangeEvent) is the outbox: every change appends its event in its
own transaction. A subscription keeps its position in that feed (`cursor`); the worker
(delivery.py) delivers the events after it, in order, and moves it on only after the
receiver answered 2xx."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from omgeving.tenancy.models import TenantModel
from omgeving.tenancy.querysets import TenantManager


class Webhook(TenantModel):
    owner = models.ForeignKey("accounts.User", verbose_name=_("application"),
                              on_delete=models.CASCADE, related_name="webhooks",
                              help_text=_("The Application user that subscribed; events "
                                          "follow its read grants."))
    url = models.URLField(_("URL"), max_length=2000)
    events = models.JSONField(_("events"), default=list,
                              help_text=_("What to deliver: `users.*`, `relations.deleted`, "
                                          "`*` (everything the application may read)."))
    is_active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("secret"), max_length=100, editable=False)
    previous_secret = models.CharField(_("previous secret"), max_length=100, blank=True,
                                       editable=False)
    previous_secret_until = models.DateTimeField(_("previous secret valid until"), null=True,
                                                 blank=True, editable=False)
    cursor = models.PositiveBigIntegerField(
        _("position"), default=0, editable=False,
        help_text=_("The last feed event handled (delivered or not subscribed to)."))
    disabled_reason = models.CharField(_("why switched off"), max_length=500, blank=True)
    disabled_at = models.DateTimeField(_("switched off at"), null=True, blank=True)
    # The worker's bookkeeping (delivery.py).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True,
                                           editable=False)
    queued_at = models.DateTimeField(_("woken at"), null=True, blank=True, editable=False)
    lease_owner = models.CharField(_("worker"), max_length=64, blank=True, editable=False)
    lease_until = models.DateTimeField(_("worker's lease until"), null=True, blank=True,
                                       editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["id"]
        indexes = [models.Index(fields=["organization", "is_active"])]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantModel):
    class Kind(models.TextChoices):
        EVENT = "event", _("event")
        REDELIVERY = "redelivery", _("redelivery")
        PING = "ping", _("ping")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        RETRYING = "retrying", _("retrying")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    webhook = models.ForeignKey(Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE,
                                related_name="deliveries")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    event_id = models.CharField(_("event id"), max_length=100)
    event_type = models.CharField(_("event type"), max_length=80)
    seq = models.PositiveBigIntegerField(_("feed position"), null=True, blank=True)
    payload = models.JSONField(_("payload"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    attempt_log = models.JSONField(_("attempt log"), default=list,
                                   help_text=_("The last attempts: time, status, duration, "
                                               "error."))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    next_retry_at = models.DateTimeField(_("next retry at"), null=True, blank=True)
    first_attempt_at = models.DateTimeField(_("first attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["webhook", "state"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.state})"


class SweepSchedule(models.Model):
    """One row: when the recurring sweep (delivery.sweep) runs next. A sweep that finds the
    time already taken by another chain of sweeps ends its own chain, so there is one."""

    next_run_at = models.DateTimeField(_("next run at"))

    class Meta:
        verbose_name = _("sweep schedule")
        verbose_name_plural = _("sweep schedules")

    def __str__(self) -> str:
        return str(self.next_run_at)

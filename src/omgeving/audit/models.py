"""The access log, in the spirit of NEN 7513: who read or changed which person's data, when,
on whose behalf, from where, with what result. Append-only."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omgeving.tenancy.models import TenantModel
from omgeving.tenancy.querysets import TenantManager, TenantQuerySet


class AppendOnlyError(RuntimeError):
    """The access log is never changed or deleted through the application."""


class AccessLogQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The access log is append-only.")

    def delete(self):
        raise AppendOnlyError("The access log is append-only.")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("The access log is append-only.")


class AccessLogManager(TenantManager.from_queryset(AccessLogQuerySet)):
    pass


class Action(models.TextChoices):
    READ = "read", _("read")
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")


class AccessLogEntry(TenantModel):
    request_id = models.UUIDField(_("request id"), default=uuid.uuid4, db_index=True,
                                  editable=False,
                                  help_text=_("The request's X-Request-Id (the caller's if it sent "
                                  "a UUID): the rows, log lines and answer of one request "
                                  "share it."))
    timestamp = models.DateTimeField(_("timestamp"), default=timezone.now, db_index=True)
    actor = models.ForeignKey("accounts.User", verbose_name=_("actor"), null=True,
                              on_delete=models.PROTECT,
                              related_name="+", help_text=_("Who acted (an Application user)."))
    actor_username = models.CharField(_("actor username"), max_length=150)
    subject = models.ForeignKey("accounts.User", verbose_name=_("subject"), null=True,
                                on_delete=models.PROTECT,
                                related_name="+", help_text=_("Whose data; empty when the "
                                "request reached no person (e.g. a 404)."))
    resource = models.CharField(_("resource"), max_length=50)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    sensitive_fields = models.JSONField(_("sensitive fields"), default=list, blank=True,
                                        help_text=_("Sensitive fields read or written, e.g. bsn."))
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    query = models.CharField(_("query"), max_length=1000, blank=True)
    ip = models.GenericIPAddressField(_("ip"), null=True)
    status = models.PositiveSmallIntegerField(_("status"),
                                              help_text=_("The HTTP status of the answer."))

    objects = AccessLogManager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [models.Index(fields=["organization", "subject", "timestamp"])]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} " \
               f"{self.resource} #{self.subject_id or '-'} → {self.status}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The access log is append-only.")


class AccessRefusal(TenantModel):
    """Refused or failed requests that reached no person, counted per actor, resource,
    action, HTTP status and minute (one row, not one per request)."""

    minute = models.DateTimeField(_("minute"), db_index=True)
    actor = models.ForeignKey("accounts.User", verbose_name=_("actor"), on_delete=models.PROTECT,
                              related_name="+")
    actor_username = models.CharField(_("actor username"), max_length=150)
    resource = models.CharField(_("resource"), max_length=50)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    status = models.PositiveSmallIntegerField(_("status"))
    count = models.PositiveIntegerField(_("count"), default=0)
    last_at = models.DateTimeField(_("last at"))

    objects = TenantManager()

    class Meta:
        verbose_name_plural = _("refused request counts")
        ordering = ["-minute", "id"]
        verbose_name = _("refused request count")
        constraints = [models.UniqueConstraint(
            fields=["organization", "actor", "resource", "action", "status", "minute"],
            name="accessrefusal_one_counter")]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.actor_username} {self.resource} " \
               f"{self.status} ×{self.count}"

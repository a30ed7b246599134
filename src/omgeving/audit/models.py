"""The access log, in the spirit of NEN 7513: who read or changed which person's data, when,
on whose behalf, from where, with what result. Append-only."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

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
    READ = "read", "read"
    CREATE = "create", "create"
    UPDATE = "update", "update"
    DELETE = "delete", "delete"


class AccessLogEntry(TenantModel):
    request_id = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False,
                                  help_text="The request's X-Request-Id (the caller's if it sent "
                                  "a UUID): the rows, log lines and answer of one request "
                                  "share it.")
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT,
                              related_name="+", help_text="Who acted (an Application user).")
    actor_username = models.CharField(max_length=150)
    subject = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT,
                                related_name="+", help_text="Whose data; empty when the "
                                "request reached no person (e.g. a 404).")
    resource = models.CharField(max_length=50)
    action = models.CharField(max_length=10, choices=Action.choices)
    sensitive_fields = models.JSONField(default=list, blank=True,
                                        help_text="Sensitive fields read or written, e.g. bsn.")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    query = models.CharField(max_length=1000, blank=True)
    ip = models.GenericIPAddressField(null=True)
    status = models.PositiveSmallIntegerField(help_text="The HTTP status of the answer.")

    objects = AccessLogManager()

    class Meta:
        ordering = ["id"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"
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

    minute = models.DateTimeField(db_index=True)
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    actor_username = models.CharField(max_length=150)
    resource = models.CharField(max_length=50)
    action = models.CharField(max_length=10, choices=Action.choices)
    status = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    objects = TenantManager()

    class Meta:
        ordering = ["-minute", "id"]
        verbose_name = "refused request count"
        constraints = [models.UniqueConstraint(
            fields=["organization", "actor", "resource", "action", "status", "minute"],
            name="accessrefusal_one_counter")]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.actor_username} {self.resource} " \
               f"{self.status} ×{self.count}"

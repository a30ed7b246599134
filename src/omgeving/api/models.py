"""Stored answers of POSTs sent with an Idempotency-Key (see idempotency.py)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from omgeving.tenancy.models import TenantModel
from omgeving.tenancy.querysets import TenantManager


class IdempotencyKey(TenantModel):
    class State(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    actor = models.ForeignKey("accounts.User", verbose_name=_("actor"), on_delete=models.CASCADE,
                              related_name="+")
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("fingerprint"), max_length=64,
                                   help_text=_("SHA-256 of method, path, query "
                                   "and body."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.RUNNING)
    status = models.PositiveSmallIntegerField(_("status"), null=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    body = models.BinaryField(_("body"), default=b"")
    subjects = models.JSONField(_("subjects"), default=list,
                                help_text=_("The persons the answer showed."))
    created = models.DateTimeField(_("created"), db_index=True)
    owner = models.CharField(_("owner"), max_length=32, blank=True,
                             help_text=_("The run that holds a running key."))
    lease_until = models.DateTimeField(_("lease until"), null=True,
                                       help_text=_("A running key whose run has not finished "
                                                   "by then (a crash) is run again."))

    objects = TenantManager()

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["actor", "key"],
                                               name="idempotencykey_once_per_actor")]

    def __str__(self) -> str:
        return f"{self.actor_id}:{self.key} ({self.state})"

"""Stored answers of POSTs sent with an Idempotency-Key (see idempotency.py)."""

from __future__ import annotations

from django.db import models

from omgeving.tenancy.models import TenantModel
from omgeving.tenancy.querysets import TenantManager


class IdempotencyKey(TenantModel):
    class State(models.TextChoices):
        RUNNING = "running", "running"
        DONE = "done", "done"

    actor = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path, query "
                                   "and body.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    subjects = models.JSONField(default=list, help_text="The persons the answer showed.")
    created = models.DateTimeField(db_index=True)

    objects = TenantManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["actor", "key"],
                                               name="idempotencykey_once_per_actor")]

    def __str__(self) -> str:
        return f"{self.actor_id}:{self.key} ({self.state})"

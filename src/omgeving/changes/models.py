"""The change feed: one event per create, update or delete of an API resource, appended in the
same transaction as the change (see services.py for the ordering guarantee)."""

from __future__ import annotations

from django.db import models

from omgeving.tenancy.models import TenantModel
from omgeving.tenancy.querysets import TenantManager


class ChangeEvent(TenantModel):
    class Action(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        DELETED = "deleted", "deleted"

    seq = models.PositiveBigIntegerField(help_text="Position in the organisation's feed: "
                                         "gapless and in commit order.")
    resource = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    external_id = models.CharField(max_length=100, null=True, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    version = models.PositiveIntegerField(help_text="The object's change count (1 = created).")
    at = models.DateTimeField(db_index=True)

    objects = TenantManager()

    class Meta:
        ordering = ["organization", "seq"]
        constraints = [models.UniqueConstraint(fields=["organization", "seq"],
                                               name="changeevent_seq_unique_per_org")]
        indexes = [models.Index(fields=["organization", "resource", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.resource} {self.object_id} {self.action}"


class ChangeCounter(models.Model):
    """The last sequence number handed out per organisation. Writers lock this row until they
    commit, so events of one organisation commit in sequence order."""

    organization = models.OneToOneField("tenancy.Organization", on_delete=models.CASCADE,
                                        primary_key=True, related_name="+")
    last_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.last_seq}"

"""The change feed: one event per create, update or delete of an API resource, appended in the
same transaction as the change (see services.py for the ordering guarantee)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from omgeving.tenancy.models import TenantModel
from omgeving.tenancy.querysets import TenantManager


class ChangeEvent(TenantModel):
    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        DELETED = "deleted", _("deleted")

    seq = models.PositiveBigIntegerField(_("seq"),
                                         help_text=_("Position in the organisation's feed: "
                                         "gapless and in commit order."))
    resource = models.CharField(_("resource"), max_length=50)
    object_id = models.BigIntegerField(_("object id"))
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    version = models.PositiveIntegerField(_("version"),
                                          help_text=_("The object's change count (1 = created)."))
    at = models.DateTimeField(_("at"), db_index=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("change event")
        verbose_name_plural = _("change events")
        ordering = ["organization", "seq"]
        constraints = [models.UniqueConstraint(fields=["organization", "seq"],
                                               name="changeevent_seq_unique_per_org")]
        indexes = [models.Index(fields=["organization", "resource", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.resource} {self.object_id} {self.action}"


class ChangeCounter(models.Model):
    """The last sequence number handed out per organisation. Writers lock this row until they
    commit, so events of one organisation commit in sequence order."""

    organization = models.OneToOneField("tenancy.Organization", verbose_name=_("organization"),
                                        on_delete=models.CASCADE,
                                        primary_key=True, related_name="+")
    last_seq = models.PositiveBigIntegerField(_("last seq"), default=0)

    class Meta:
        verbose_name = _("change counter")
        verbose_name_plural = _("change counters")

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.last_seq}"

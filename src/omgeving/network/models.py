"""The care network: a star around each client.

- A Relation links one CLIENT to one other person, with that person's authorisation towards
  this client, a relation type, and a period [start_date, end_date] (end inclusive).
- A Group (team, location) has professional members and clients, each with a period; every
  member relates to every client of the group while both memberships run.
- Indirect relations are computed, never stored (see access.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from omgeving.tenancy.models import TenantModel
from omgeving.tenancy.querysets import TenantManager, TenantQuerySet


class RelationAuthorisation(models.TextChoices):
    COUNSELOR = "COUNSELOR", "Counselor"
    COUNSELOR_PLUS = "COUNSELOR_PLUS", "Counselor+"
    GUARDIAN = "GUARDIAN", "Guardian"
    EXTERNAL = "EXTERNAL", "External"


class GroupRole(models.TextChoices):
    COUNSELOR = "COUNSELOR", "Counselor"
    COUNSELOR_PLUS = "COUNSELOR_PLUS", "Counselor+"


def today():
    return timezone.localdate()


class PeriodQuerySet(TenantQuerySet):
    def active_on(self, day=None, prefix=""):
        day = day or today()
        return self.filter(Q(**{f"{prefix}start_date__lte": day})
                           & (Q(**{f"{prefix}end_date__isnull": True})
                              | Q(**{f"{prefix}end_date__gte": day})))


class PeriodManager(TenantManager.from_queryset(PeriodQuerySet)):
    pass


class Period(models.Model):
    start_date = models.DateField(default=today)
    end_date = models.DateField(null=True, blank=True,
                                help_text="Last day it counts; empty: no end.")

    class Meta:
        abstract = True

    def active_on(self, day=None) -> bool:
        day = day or today()
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class RelationType(TenantModel):
    """An organisation-editable label: mother, father, guardian, mentor, teacher, GP, …"""

    name = models.CharField(max_length=100)
    external_id = models.CharField(max_length=100, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True, db_index=True)

    objects = TenantManager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"],
                                               name="relationtype_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class Relation(TenantModel, Period):
    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="client_relations")
    person = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="person_relations")
    authorisation = models.CharField(max_length=20, choices=RelationAuthorisation.choices)
    relation_type = models.ForeignKey(RelationType, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(max_length=100, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True, db_index=True)

    objects = PeriodManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "external_id"],
                                    condition=Q(external_id__isnull=False),
                                    name="relation_external_id_unique_per_org"),
            models.CheckConstraint(condition=Q(end_date__isnull=True)
                                   | Q(end_date__gte=models.F("start_date")),
                                   name="relation_end_after_start"),
            models.CheckConstraint(condition=~Q(client=models.F("person")),
                                   name="relation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.client} ({self.authorisation})"


class Group(TenantModel):
    class Kind(models.TextChoices):
        TEAM = "team", "Team"
        LOCATION = "location", "Location"

    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TEAM)
    external_id = models.CharField(max_length=100, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True, db_index=True)

    objects = TenantManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"],
                                    name="group_name_unique_per_org"),
            models.UniqueConstraint(fields=["organization", "external_id"],
                                    condition=Q(external_id__isnull=False),
                                    name="group_external_id_unique_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class GroupMember(TenantModel, Period):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=GroupRole.choices,
                            default=GroupRole.COUNSELOR)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    objects = PeriodManager()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(
            condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
            name="groupmember_end_after_start")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.role})"


class GroupClient(TenantModel, Period):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="clients")
    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    objects = PeriodManager()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(
            condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
            name="groupclient_end_after_start")]

    def __str__(self) -> str:
        return f"{self.client}, client of {self.group}"

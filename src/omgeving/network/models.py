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
from django.utils.translation import gettext_lazy as _

from omgeving.errors import violation
from omgeving.tenancy.models import TenantModel, Tombstoned
from omgeving.tenancy.querysets import (
    LiveManagerMixin,
    LiveTenantManager,
    TenantManager,
    TenantQuerySet,
)


class RelationAuthorisation(models.TextChoices):
    COUNSELOR = "COUNSELOR", _("Counselor")
    COUNSELOR_PLUS = "COUNSELOR_PLUS", _("Counselor+")
    GUARDIAN = "GUARDIAN", _("Guardian")
    EXTERNAL = "EXTERNAL", _("External")


class GroupRole(models.TextChoices):
    COUNSELOR = "COUNSELOR", _("Counselor")
    COUNSELOR_PLUS = "COUNSELOR_PLUS", _("Counselor+")


def today(moment=None):
    """The calendar day in the Netherlands (settings.TIME_ZONE) now, or at `moment`, whatever
    time zone is active: the API activates UTC to write its times with `Z`, but relations,
    memberships and content dates are Dutch days in every door (API, admin, CLI, worker)."""
    return timezone.localdate(moment, timezone.get_default_timezone())


class PeriodQuerySet(TenantQuerySet):
    def active_on(self, day=None, prefix=""):
        day = day or today()
        return self.filter(Q(**{f"{prefix}start_date__lte": day})
                           & (Q(**{f"{prefix}end_date__isnull": True})
                              | Q(**{f"{prefix}end_date__gte": day})))


class PeriodManager(TenantManager.from_queryset(PeriodQuerySet)):
    pass


class LivePeriodManager(LiveManagerMixin, PeriodManager):
    pass


LIVE = Q(deleted_at__isnull=True)


class Period(models.Model):
    start_date = models.DateField(_("start date"), default=today)
    end_date = models.DateField(_("end date"), null=True, blank=True,
                                help_text=_("Last day it counts; empty: no end."))

    class Meta:
        abstract = True

    def active_on(self, day=None) -> bool:
        day = day or today()
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class RelationType(TenantModel, Tombstoned):
    """An organisation-editable label: mother, father, guardian, mentor, teacher, GP, …"""

    name = models.CharField(_("name"), max_length=100)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("version"),
        default=1, editable=False, help_text=_("Counts the changes of the object (its ETag)."))

    objects = LiveTenantManager()
    all_objects = TenantManager()

    class Meta:
        verbose_name = _("relation type")
        verbose_name_plural = _("relation types")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], condition=LIVE,
                                               name="relationtype_name_unique_per_org",
                                               **violation("name_taken"))]

    def __str__(self) -> str:
        return self.name


class Relation(TenantModel, Tombstoned, Period):
    """A direct relation of a person to a client, with the authorisation it gives and its
    period (rules 1-3 of docs/access.md)."""

    client = models.ForeignKey("accounts.User", verbose_name=_("client"), on_delete=models.PROTECT,
                               related_name="client_relations")
    person = models.ForeignKey("accounts.User", verbose_name=_("person"), on_delete=models.PROTECT,
                               related_name="person_relations")
    authorisation = models.CharField(_("authorisation"), max_length=20,
                                     choices=RelationAuthorisation.choices)
    relation_type = models.ForeignKey(RelationType, verbose_name=_("relation type"), null=True,
                                      blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("version"),
        default=1, editable=False, help_text=_("Counts the changes of the object (its ETag)."))

    objects = LivePeriodManager()
    all_objects = PeriodManager()

    class Meta:
        verbose_name = _("relation")
        verbose_name_plural = _("relations")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "external_id"],
                                    condition=Q(external_id__isnull=False) & LIVE,
                                    name="relation_external_id_unique_per_org",
                                    **violation("external_id_taken")),
            models.CheckConstraint(condition=Q(end_date__isnull=True)
                                   | Q(end_date__gte=models.F("start_date")),
                                   name="relation_end_after_start",
                                   **violation("end_before_start")),
            models.CheckConstraint(condition=~Q(client=models.F("person")),
                                   name="relation_not_to_self", **violation("self_relation")),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.client} ({self.authorisation})"


class Group(TenantModel, Tombstoned):
    """A team or location. Its members (professionals) relate to all of its clients."""

    class Kind(models.TextChoices):
        TEAM = "team", _("Team")
        LOCATION = "location", _("Location")

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TEAM)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("version"),
        default=1, editable=False, help_text=_("Counts the changes of the object (its ETag)."))

    objects = LiveTenantManager()
    all_objects = TenantManager()

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], condition=LIVE,
                                    name="group_name_unique_per_org", **violation("name_taken")),
            models.UniqueConstraint(fields=["organization", "external_id"],
                                    condition=Q(external_id__isnull=False) & LIVE,
                                    name="group_external_id_unique_per_org",
                                    **violation("external_id_taken")),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel, Tombstoned, Period):
    """A person's membership of a group, with its period: GroupMember (a professional) and
    GroupClient (a client) share their shape, rules (network/services.check_membership) and
    ending; `person_field` names the person."""

    person_field = ""
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("version"),
        default=1, editable=False, help_text=_("Counts the changes of the object (its ETag)."))

    objects = LivePeriodManager()
    all_objects = PeriodManager()

    class Meta:
        abstract = True
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="%(class)s_end_after_start", **violation("end_before_start")),
            models.UniqueConstraint(fields=["organization", "external_id"],
                                    condition=Q(external_id__isnull=False) & LIVE,
                                    name="%(class)s_external_id_unique_per_org",
                                    **violation("external_id_taken")),
        ]

    @property
    def person(self):
        return getattr(self, self.person_field)

    @person.setter
    def person(self, user) -> None:
        setattr(self, self.person_field, user)


class GroupMember(Membership):
    """A professional's membership of a group, with the authorisation it gives."""

    person_field = "user"
    group = models.ForeignKey(Group, verbose_name=_("group"), on_delete=models.PROTECT,
                              related_name="members")
    user = models.ForeignKey("accounts.User", verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=GroupRole.choices,
                            default=GroupRole.COUNSELOR)

    class Meta(Membership.Meta):
        verbose_name = _("group member")
        verbose_name_plural = _("group members")

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.role})"


class GroupClient(Membership):
    """A client of a group: the group's members relate to them."""

    person_field = "client"
    group = models.ForeignKey(Group, verbose_name=_("group"), on_delete=models.PROTECT,
                              related_name="clients")
    client = models.ForeignKey("accounts.User", verbose_name=_("client"), on_delete=models.PROTECT,
                               related_name="+")

    class Meta(Membership.Meta):
        verbose_name = _("group client")
        verbose_name_plural = _("group clients")

    def __str__(self) -> str:
        return f"{self.client}, client of {self.group}"


# --- per-organisation features -------------------------------------------------------------

class Family(TenantModel, Tombstoned):
    """A household (gezin): a name, an address, its members (clients and relatives)."""

    name = models.CharField(_("name"), max_length=150)
    street = models.CharField(_("street"), max_length=150, blank=True)
    house_number = models.CharField(_("house number"), max_length=20, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("version"),
        default=1, editable=False, help_text=_("Counts the changes of the object (its ETag)."))

    objects = LiveTenantManager()
    all_objects = TenantManager()

    class Meta:
        verbose_name = _("family")
        ordering = ["id"]
        verbose_name_plural = _("families")
        constraints = [models.UniqueConstraint(fields=["organization", "external_id"],
                                               condition=Q(external_id__isnull=False) & LIVE,
                                               name="family_external_id_unique_per_org",
                                               **violation("external_id_taken"))]

    def __str__(self) -> str:
        return self.name

    @property
    def member_users(self):
        from omgeving.accounts.models import User

        return User.objects.for_organization(self.organization).filter(
            pk__in=FamilyMember.objects.for_organization(self.organization)
            .filter(family=self).values("user_id")).order_by("id")


class FamilyMember(TenantModel):
    family = models.ForeignKey(Family, verbose_name=_("family"), on_delete=models.CASCADE,
                               related_name="memberships")
    user = models.ForeignKey("accounts.User", verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="+")

    objects = TenantManager()

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["family", "user"],
                                               name="familymember_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.family}"


class CareStatus(TenantModel, Tombstoned):
    """An organisation-defined status of a client's care: waiting list, in care, aftercare…"""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("is active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("version"),
        default=1, editable=False, help_text=_("Counts the changes of the object (its ETag)."))

    objects = LiveTenantManager()
    all_objects = TenantManager()

    class Meta:
        verbose_name = _("care status")
        ordering = ["position", "id"]
        verbose_name_plural = _("care statuses")
        constraints = [models.UniqueConstraint(fields=["organization", "name"], condition=LIVE,
                                               name="carestatus_name_unique_per_org",
                                               **violation("name_taken"))]

    def __str__(self) -> str:
        return self.name


class ClientCareStatus(TenantModel):
    """One change of a client's care status; the latest is the current status."""

    client = models.ForeignKey("accounts.User", verbose_name=_("client"), on_delete=models.PROTECT,
                               related_name="+")
    status = models.ForeignKey(CareStatus, verbose_name=_("status"), on_delete=models.PROTECT,
                               related_name="+")
    set_by = models.ForeignKey("accounts.User", verbose_name=_("set by"), null=True,
                               on_delete=models.PROTECT,
                               related_name="+")
    set_at = models.DateTimeField(_("set at"), default=timezone.now, db_index=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("client care status")
        verbose_name_plural = _("client care statuses")
        ordering = ["-set_at", "-id"]
        indexes = [models.Index(fields=["client", "-set_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.client}: {self.status} ({self.set_at:%Y-%m-%d})"


class Invitation(TenantModel):
    """An invitation by e-mail into a client's network, or for a new client to a counselor."""

    class Kind(models.TextChoices):
        NETWORK = "network", _("Into a client's network")
        CLIENT = "client", _("A client, to a counselor")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        REVOKED = "revoked", _("revoked")
        EXPIRED = "expired", _("expired")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    client = models.ForeignKey("accounts.User", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.PROTECT,
                               related_name="+", help_text=_("network: whose network; client: "
                               "the client, once known (an existing person, or on acceptance)."))
    counselor = models.ForeignKey("accounts.User", verbose_name=_("counselor"), null=True,
                                  blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  help_text=_("client: the professional the client will "
                                              "relate to."))
    invitee = models.ForeignKey("accounts.User", verbose_name=_("invitee"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+",
                                help_text=_("An existing person; empty for a new one."))
    email = models.EmailField(_("email"), blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    authorisation = models.CharField(_("authorisation"), max_length=20,
                                     choices=RelationAuthorisation.choices,
                                     help_text=_("network: the invitee's authorisation towards "
                                     "the client; client: the counselor's."))
    relation_type = models.ForeignKey(RelationType, verbose_name=_("relation type"), null=True,
                                      blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    end_date = models.DateField(_("end date"), null=True, blank=True,
                                help_text=_("The relation ends by itself after this day."))
    invited_by = models.ForeignKey("accounts.User", verbose_name=_("invited by"),
                                   on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.PENDING)
    token_hash = models.CharField(_("token hash"), max_length=64, blank=True, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    relation = models.ForeignKey(Relation, verbose_name=_("relation"), null=True, blank=True,
                                 on_delete=models.PROTECT,
                                 related_name="+")
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("version"),
        default=1, editable=False, help_text=_("Counts the changes of the object (its ETag)."))

    objects = TenantManager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"invitation {self.pk} ({self.effective_state})"

    @property
    def effective_state(self) -> str:
        """Expiry by time alone: a pending invitation past its expiry is expired."""
        if self.state == self.State.PENDING and self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.state

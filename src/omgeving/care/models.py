"""Content around a client: message threads and messages, appointments, goals and their
progress, reports and diary entries, documents.

Every object is tenant-owned and belongs to exactly one client (`client`), names the person
on whose behalf it was written (`author`; a later change names its own, `editor`) and the
Application user that wrote it (`written_by`). Nothing is hard-deleted: a DELETE leaves a
tombstone (`deleted_at`, `deleted_by`). `CATEGORY` names the category of docs/access.md
that decides who sees it; it is also the resource's grant family and the organisation's
feature switch.
"""

from __future__ import annotations

import uuid

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omgeving.errors import violation
from omgeving.network.models import LIVE, today
from omgeving.tenancy.models import TenantModel, Tombstoned
from omgeving.tenancy.querysets import LiveTenantManager, TenantManager

BODY_MAX = 10_000


class Content(TenantModel, Tombstoned):
    CATEGORY = ""

    client = models.ForeignKey("accounts.User", verbose_name=_("client"),
                               on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey("accounts.User", verbose_name=_("author"),
                               on_delete=models.PROTECT, related_name="+",
                               help_text=_("The person on whose behalf it was written."))
    editor = models.ForeignKey("accounts.User", verbose_name=_("editor"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="+",
                               editable=False,
                               help_text=_("The person on whose behalf the last change was "
                                           "made."))
    written_by = models.ForeignKey("accounts.User", verbose_name=_("written by"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="+",
                                   editable=False,
                                   help_text=_("The Application user that wrote it."))
    deleted_by = models.ForeignKey("accounts.User", verbose_name=_("deleted by"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="+",
                                   editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    modified = models.DateTimeField(_("modified"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False,
                                          help_text=_("Counts the changes of the object "
                                                      "(its ETag)."))

    objects = LiveTenantManager()
    all_objects = TenantManager()

    class Meta:
        abstract = True
        ordering = ["id"]


def _external_id():
    return models.CharField(_("external id"), max_length=100, null=True, blank=True)


def _external_id_unique(name: str):
    return models.UniqueConstraint(fields=["organization", "external_id"],
                                   condition=Q(external_id__isnull=False) & LIVE,
                                   name=f"{name}_external_id_unique_per_org",
                                   **violation("external_id_taken"))


class MessageThread(Content):
    CATEGORY = "messages"

    subject = models.CharField(_("subject"), max_length=200)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True,
                                     help_text=_("Closed threads take no new messages."))
    external_id = _external_id()

    class Meta(Content.Meta):
        verbose_name = _("message thread")
        verbose_name_plural = _("message threads")
        constraints = [_external_id_unique("messagethread")]

    def __str__(self) -> str:
        return self.subject


class Message(Content):
    CATEGORY = "messages"

    thread = models.ForeignKey(MessageThread, verbose_name=_("thread"),
                               on_delete=models.PROTECT, related_name="messages")
    body = models.TextField(_("body"), validators=[MaxLengthValidator(BODY_MAX)])
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now, editable=False)

    class Meta(Content.Meta):
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.thread}: {self.body[:40]}"


class Appointment(Content):
    CATEGORY = "appointments"

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        CANCELLED = "cancelled", _("cancelled")
        COMPLETED = "completed", _("completed")

    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("location"), max_length=255, blank=True)
    online_url = models.URLField(_("online URL"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PLANNED)
    external_id = _external_id()

    class Meta(Content.Meta):
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            _external_id_unique("appointment"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="appointment_ends_after_start",
                                   **violation("end_before_start")),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M})"


class Participant(TenantModel):
    """One person taking part in a thread or an appointment (exactly one of the two)."""

    thread = models.ForeignKey(MessageThread, verbose_name=_("thread"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="participations")
    appointment = models.ForeignKey(Appointment, verbose_name=_("appointment"), null=True,
                                    blank=True, on_delete=models.CASCADE,
                                    related_name="participations")
    user = models.ForeignKey("accounts.User", verbose_name=_("person"),
                             on_delete=models.PROTECT, related_name="+")

    objects = TenantManager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(thread__isnull=True) ^ Q(appointment__isnull=True),
                                   name="participant_of_one"),
            models.UniqueConstraint(fields=["thread", "user"], name="participant_once_thread"),
            models.UniqueConstraint(fields=["appointment", "user"],
                                    name="participant_once_appointment"),
        ]

    def __str__(self) -> str:
        return str(self.user)


class Goal(Content):
    CATEGORY = "goals"

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACTIVE = "active", _("active")
        ACHIEVED = "achieved", _("achieved")
        STOPPED = "stopped", _("stopped")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True,
                                   validators=[MaxLengthValidator(BODY_MAX)])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PROPOSED)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    external_id = _external_id()

    class Meta(Content.Meta):
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        constraints = [_external_id_unique("goal")]

    def __str__(self) -> str:
        return self.title


class GoalProgress(Content):
    CATEGORY = "goals"

    goal = models.ForeignKey(Goal, verbose_name=_("goal"), on_delete=models.PROTECT,
                             related_name="progress")
    score = models.PositiveSmallIntegerField(_("score"), validators=[MinValueValidator(0),
                                                                      MaxValueValidator(10)])
    note = models.TextField(_("note"), blank=True, validators=[MaxLengthValidator(BODY_MAX)])
    recorded_on = models.DateField(_("recorded on"), default=today)

    class Meta(Content.Meta):
        verbose_name = _("goal progress")
        verbose_name_plural = _("goal progress")
        constraints = [models.CheckConstraint(condition=Q(score__lte=10),
                                              name="goalprogress_score_0_10")]

    def __str__(self) -> str:
        return f"{self.goal}: {self.score}/10"


class Report(Content):
    CATEGORY = "reports"

    class Kind(models.TextChoices):
        REPORT = "report", _("report (by a professional)")
        DIARY = "diary", _("diary entry (by the client or a guardian)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices,
                            default=Kind.REPORT)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), validators=[MaxLengthValidator(BODY_MAX)])
    occurred_on = models.DateField(_("occurred on"), default=today)
    external_id = _external_id()

    class Meta(Content.Meta):
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [_external_id_unique("report")]

    def __str__(self) -> str:
        return self.title


def document_path(document, filename: str) -> str:
    """Stored under a random name: never the uploader's name or extension."""
    return f"documents/{document.organization_id}/{uuid.uuid4().hex}"


class Document(Content):
    CATEGORY = "documents"

    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200,
                                help_text=_("The name it was uploaded with (for downloads)."))
    content_type = models.CharField(_("content type"), max_length=100,
                                    help_text=_("Found from the file's content."))
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    external_id = _external_id()

    class Meta(Content.Meta):
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [_external_id_unique("document")]

    def __str__(self) -> str:
        return self.title


MODELS = (MessageThread, Message, Appointment, Goal, GoalProgress, Report, Document)

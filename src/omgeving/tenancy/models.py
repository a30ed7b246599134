from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# A DNS label: 1-63 characters, lower-case letters, digits and hyphens, no hyphen at either end.
DNS_LABEL = r"^(?!-)[a-z0-9-]{1,63}(?<!-)$"
RESERVED_SLUGS = frozenset({"www", "api", "admin", "static", "mail", "platform"})

slug_validator = RegexValidator(
    DNS_LABEL,
    _("A slug is a DNS label: 1-63 lower-case letters, digits or hyphens, "
    "not starting or ending with a hyphen."),
    code="invalid_slug",
)


def validate_not_reserved(slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise ValidationError(_("'%(slug)s' is reserved.") % {"slug": slug},
                              code="reserved_slug")


# The switches of Organization below, by the name the API, the CLI and the error codes use.
from .features import FEATURES  # noqa: E402,F401  (the names, kept where no model is)


class Organization(models.Model):
    slug = models.CharField(_("slug"),
        max_length=63, unique=True, validators=[slug_validator, validate_not_reserved],
        help_text=_("The organisation's subdomain."),
    )
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("is active"), default=True)
    # Per-organisation features (JO switches these per organisation). Off: the endpoints
    # answer 404 and the admin hides them.
    feature_families = models.BooleanField(_("families"), default=False)
    feature_care_status = models.BooleanField(_("care status"), default=False)
    feature_invitations = models.BooleanField(_("invitations"), default=False)
    # Content around a client (omgeving.care), one switch per category of docs/access.md.
    feature_messages = models.BooleanField(_("messages"), default=False)
    feature_appointments = models.BooleanField(_("appointments"), default=False)
    feature_goals = models.BooleanField(_("goals"), default=False)
    feature_reports = models.BooleanField(_("reports and diary"), default=False)
    feature_documents = models.BooleanField(_("documents"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    def has_feature(self, feature: str) -> bool:
        return bool(getattr(self, f"feature_{feature}"))

    @property
    def host(self) -> str:
        """The organisation's host name, used as the issuer and audience of its tokens."""
        return f"{self.slug}.{settings.BASE_DOMAIN}"


class TenantModel(models.Model):
    """Base for every model that belongs to one organisation."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"),
                                     on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class Tombstoned(models.Model):
    """An object that a DELETE leaves as a tombstone: it keeps its row, its id and its
    history, is left out of every default query (see querysets.LiveManagerMixin), appears
    in lists only with `?include_deleted=true`, and its address answers 410 `deleted`.
    Models name `objects` (live, first: Django's default manager) and `all_objects`."""

    deleted_at = models.DateTimeField(_("deleted at"),
        null=True, blank=True, editable=False,
        help_text=_("When it was deleted; empty while it exists."))

    class Meta:
        abstract = True

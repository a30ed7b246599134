from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omgeving.tenancy.models import Organization
from omgeving.tenancy.querysets import TenantQuerySet

from .validators import validate_bsn


class Role(models.TextChoices):
    """Role types. ADMINISTRATOR and APPLICATION are flags; the rest is the default
    authorisation of a person in the care network (at most one)."""

    ADMINISTRATOR = "ADMINISTRATOR", _("Administrator")
    APPLICATION = "APPLICATION", _("Application")
    CLIENT = "CLIENT", _("Client")
    COUNSELOR = "COUNSELOR", _("Counselor")
    COUNSELOR_PLUS = "COUNSELOR_PLUS", _("Counselor+")
    GUARDIAN = "GUARDIAN", _("Guardian")
    EXTERNAL = "EXTERNAL", _("External")


AUTHORISATIONS = (Role.CLIENT, Role.COUNSELOR, Role.COUNSELOR_PLUS, Role.GUARDIAN, Role.EXTERNAL)

# What each role type means, for the people who assign them (the admin's help text).
ROLE_MEANINGS = {
    Role.ADMINISTRATOR: _("manages this organisation in this admin (with a second factor)"),
    Role.APPLICATION: _("API access only, for a connected system (ECD/EPD); stands alone and "
                      "holds only the grants ticked below"),
    Role.CLIENT: _("the person in the middle of a care network; sees the most about themselves"),
    Role.COUNSELOR: _("a care professional; sees their clients' data as the relation allows"),
    Role.COUNSELOR_PLUS: _("a care professional with extended rights: also the BSN, and may "
                         "manage the client's network"),
    Role.GUARDIAN: _("a parent, guardian or legal representative of a client"),
    Role.EXTERNAL: _("anyone else who helps (friend, neighbour, teacher); sees the least"),
}


class Authorisation(models.TextChoices):
    CLIENT = Role.CLIENT.value, Role.CLIENT.label
    COUNSELOR = Role.COUNSELOR.value, Role.COUNSELOR.label
    COUNSELOR_PLUS = Role.COUNSELOR_PLUS.value, Role.COUNSELOR_PLUS.label
    GUARDIAN = Role.GUARDIAN.value, Role.GUARDIAN.label
    EXTERNAL = Role.EXTERNAL.value, Role.EXTERNAL.label


username_validator = RegexValidator(
    r"^[A-Za-z0-9.@+_-]{1,150}$",
    _("Use 1-150 letters, digits and . @ + - _ only."),
    code="invalid_username",
)
phone_validator = RegexValidator(
    r"^\+?[0-9 ()-]{6,20}$",
    _("Enter a phone number: digits, spaces, ( ) - and a leading +."),
    code="invalid_phone",
)


class UserQuerySet(TenantQuerySet):
    def with_role(self, role: str):
        if role == Role.ADMINISTRATOR:
            return self.filter(is_administrator=True)
        if role == Role.APPLICATION:
            return self.filter(is_application=True)
        return self.filter(authorisation=role)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_superuser(self, username, email=None, password=None, **extra):
        """Platform superuser (no organisation); used by `createsuperuser`."""
        user = self.model(username=username, email=self.normalize_email(email or ""),
                          is_superuser=True, organization=None, **extra)
        user.set_password(password)
        user.save()
        return user


class User(AbstractBaseUser):
    """A person of the organisation (client, professional, guardian, external), an
    administrator, or an Application user (API access only)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="users",
        help_text=_("Empty only for platform superusers."),
    )
    username = models.CharField(_("username"), max_length=150, validators=[username_validator])
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    bsn = models.CharField(_("BSN"), max_length=9, blank=True, validators=[validate_bsn])
    external_id = models.CharField(_("external id"),
        max_length=100, null=True, blank=True,
        help_text=_("The key of this person in the organisation's own ECD/EPD."),
    )
    is_active = models.BooleanField(_("is active"), default=True)
    is_superuser = models.BooleanField(_("is superuser"),
        default=False,
        help_text=_("Platform superuser: manages organisations. Has no organisation.")
    )
    is_administrator = models.BooleanField(_("is administrator"), default=False)
    is_application = models.BooleanField(_("is application"), default=False)
    authorisation = models.CharField(_("authorisation"),
        max_length=20, choices=Authorisation.choices, null=True, blank=True,
        help_text=_("Default authorisation in the care network."),
    )
    grants = models.JSONField(_("grants"),
        default=list, blank=True,
        help_text=_("Application users only: what the application may read and write."),
    )
    allowed_networks = models.JSONField(_("allowed networks"),
        default=list, blank=True,
        help_text=_("Application users only: the address ranges (CIDR) it may log in from; "
        "empty: anywhere. A login from elsewhere is refused like a wrong password and never "
        "counts towards a lockout."),
    )
    token_version = models.PositiveIntegerField(_("token version"),
        default=1, editable=False,
        help_text=_("Bumped on password change or deactivation; older tokens stop working."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    modified = models.DateTimeField(_("modified"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("version"),
        default=1, editable=False, help_text=_("Counts the changes of the object (its ETag)."))

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["id"]
        # The filters an integrator uses, each ending in id: a cursor page (WHERE … AND
        # id > last ORDER BY id LIMIT n) reads the index in order and stops after one page,
        # however large the organisation and however rare the value (docs/performance.md).
        indexes = [
            models.Index(fields=["organization", "id"], name="user_org_id"),
            models.Index(fields=["organization", "is_active", "id"], name="user_org_active"),
            models.Index(fields=["organization", "authorisation", "id"], name="user_org_auth"),
            models.Index(fields=["organization", "modified"], name="user_org_modified"),
            models.Index(fields=["organization", "id"], condition=Q(is_application=True),
                         name="user_org_applications"),
            models.Index(fields=["organization", "id"], condition=Q(is_administrator=True),
                         name="user_org_administrators"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "username"], name="user_username_unique_per_org",
                violation_error_code="username_taken",
            ),
            models.UniqueConstraint(
                fields=["username"], condition=Q(organization__isnull=True),
                name="user_platform_username_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "external_id"], condition=Q(external_id__isnull=False),
                name="user_external_id_unique_per_org",
                violation_error_code="external_id_taken",
            ),
            models.CheckConstraint(
                condition=Q(is_application=False)
                | Q(is_administrator=False, authorisation__isnull=True, is_superuser=False),
                name="user_application_role_exclusive",
                violation_error_code="application_role_exclusive",
            ),
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | Q(is_superuser=True),
                name="user_without_org_is_superuser",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    TRACKED = ("password", "is_active", "is_application", "is_administrator", "authorisation",
               "organization_id")

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_loaded()
        return instance

    def _remember_loaded(self) -> None:
        self._loaded = {f: self.__dict__[f] for f in self.TRACKED if f in self.__dict__}

    def check_password(self, raw_password: str) -> bool:
        """Django's check, except that a hash upgraded on login (a stronger hasher or more
        iterations, same password) is not a password change: it revokes no tokens. (It did:
        an application's login on a server whose hasher settings were newer than the stored
        hash logged out every other process of that application.)"""
        from django.contrib.auth.hashers import check_password

        def rehash(raw: str) -> None:
            self.set_password(raw)
            self._password = None
            if getattr(self, "_loaded", None) is not None and "password" in self._loaded:
                self._loaded["password"] = self.password
            self.save(update_fields=["password"])

        return check_password(raw_password, self.password, rehash)

    def _changed(self, field: str) -> bool:
        loaded = getattr(self, "_loaded", {})
        return field in loaded and loaded[field] != getattr(self, field)

    def save(self, *args, **kwargs):
        from django.core.exceptions import ValidationError

        if self._changed("organization_id"):
            # Relations, grants and the access log are per organisation: a person never moves.
            raise ValidationError({"organization": ValidationError(
                _("A person's organisation cannot change."), code="organization_immutable")})
        # A password change, a deactivation or any change of role type revokes every token
        # issued before it (giving the Application role back does not revive old tokens).
        loaded = getattr(self, "_loaded", {})
        if (
            (loaded.get("password") is not None and self._changed("password"))
            or (loaded.get("is_active") and not self.is_active)
            or any(self._changed(f) for f in ("is_application", "is_administrator",
                                              "authorisation"))
        ):
            self.token_version += 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "token_version"}
        super().save(*args, **kwargs)
        self._remember_loaded()

    @property
    def roles(self) -> list[str]:
        return self.roles_of(self.is_administrator, self.is_application, self.authorisation)

    ROLE_COLUMNS = ("is_administrator", "is_application", "authorisation")

    @staticmethod
    def roles_of(is_administrator: bool, is_application: bool, authorisation) -> list[str]:
        roles = []
        if is_administrator:
            roles.append(Role.ADMINISTRATOR.value)
        if is_application:
            roles.append(Role.APPLICATION.value)
        if authorisation:
            roles.append(authorisation)
        return roles

    # The admin asks these; there are no per-model permission tables: an organisation's
    # administrator manages their organisation, a platform superuser the platform.
    def has_grant(self, grant: str) -> bool:
        return self.is_application and grant in (self.grants or ())

    @property
    def is_staff(self) -> bool:
        return self.is_active and (self.is_superuser or self.is_administrator)

    def has_perm(self, perm, obj=None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list, obj=None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label) -> bool:
        return self.is_staff

    def get_full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.username

    def get_short_name(self) -> str:
        return self.display_name or self.first_name or self.username


class LoginThrottle(models.Model):
    """One login counter (see omgeving.accounts.lockout): failures of a username from an
    address, of a username from anywhere, from an address over any username, or successful
    logins of a user. Always within one organisation (or the platform)."""

    key = models.CharField(_("key"), max_length=400, unique=True)
    organization = models.ForeignKey("tenancy.Organization", verbose_name=_("organization"),
                                     null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(_("scope"), max_length=20)
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("ip"), null=True, blank=True)
    count = models.PositiveIntegerField(_("count"), default=0)
    window_start = models.DateTimeField(_("window start"))
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = _("login lockouts")
        ordering = ["-locked_until", "id"]
        verbose_name = _("login lockout")

    def __str__(self) -> str:
        who = " from ".join(x for x in (self.username, self.ip) if x)
        return f"{self.scope}: {who} ({self.count})"


class KnownLoginAddress(models.Model):
    """An address a user logged in from successfully: the username-wide lock does not apply
    to it, so strangers' guessing cannot lock the owner out."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    ip = models.GenericIPAddressField(_("ip"))
    last_success = models.DateTimeField(_("last success"))

    class Meta:
        verbose_name = _("known login address")
        verbose_name_plural = _("known login addresses")
        constraints = [models.UniqueConstraint(fields=["user", "ip"],
                                               name="knownloginaddress_once")]

    def __str__(self) -> str:
        return f"{self.user} from {self.ip}"

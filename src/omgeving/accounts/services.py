"""Rules about users and their role types. The admin, the API and the CLI all call these."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from omgeving.errors import ConflictError, NotAllowedError, raises
from omgeving.tenancy.models import Organization

from . import grants as grants_module
from .models import AUTHORISATIONS, Role, User


@raises("invalid_role", "role_required", "application_role_exclusive", "one_authorisation")
def role_fields(roles: Iterable[str]) -> dict:
    """Turn a list of role types into the user's role fields, enforcing the rules:

    - at least one role type;
    - APPLICATION is exclusive: an Application user holds that role type only;
    - at most one care authorisation (the default authorisation).
    """
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValidationError(
            _("Unknown role type(s): %(unknown)s. Choose from %(known)s.")
            % {"unknown": ", ".join(map(str, unknown)), "known": ", ".join(Role.values)},
            code="invalid_role",
        )
    if not roles:
        raise ValidationError(_("A user needs at least one role type."), code="role_required")
    if Role.APPLICATION in roles and len(roles) > 1:
        raise ValidationError(
            _("An Application user holds the role type Application only; it cannot be "
            "combined with Administrator or a care authorisation."),
            code="application_role_exclusive",
        )
    authorisations = [r for r in roles if r in AUTHORISATIONS]
    if len(authorisations) > 1:
        raise ValidationError(
            _("A user has one default authorisation; got %(roles)s.")
            % {"roles": ", ".join(authorisations)},
            code="one_authorisation",
        )
    return {
        "is_administrator": Role.ADMINISTRATOR in roles,
        "is_application": Role.APPLICATION in roles,
        "authorisation": authorisations[0] if authorisations else None,
    }


def clean_networks(networks) -> list[str]:
    """Address ranges in CIDR notation (a single address is a /32 or /128), normalised."""
    import ipaddress

    cleaned = []
    for value in networks or []:
        try:
            cleaned.append(str(ipaddress.ip_network(str(value).strip(), strict=False)))
        except ValueError as exc:
            raise ValidationError({"allowed_networks": ValidationError(
                _("'%(value)s' is not an address range (CIDR, e.g. 203.0.113.0/24).")
                % {"value": value},
                code="invalid_network")}) from exc
    return sorted(set(cleaned))


def _taken(field: str) -> ConflictError:
    return ConflictError({field: ValidationError(
        _("A user with this %(field)s exists in this organisation.") % {"field": field},
        code=f"{field}_taken")})


def _taken_values(organization, names, keys, exclude_pk=None) -> tuple[set, set]:
    """The usernames among `names` and the external_ids among `keys` that people of the
    organisation already have (one query)."""
    others = User.objects.for_organization(organization).exclude(pk=exclude_pk)
    found = others.filter(Q(username__in=names) | Q(external_id__in=keys)).values_list(
        "username", "external_id")
    taken_names, taken_keys = set(), set()
    for username, external_id in found:
        taken_names.add(username)
        taken_keys.add(external_id)
    return taken_names & set(names), taken_keys & set(keys)


@raises("username_taken", "external_id_taken")
def check_unique(user: User) -> None:
    """Username, and external_id when set, are unique within the user's organisation."""
    names, keys = _taken_values(user.organization, [user.username],
                                [user.external_id] if user.external_id else [], user.pk)
    if names:
        raise _taken("username")
    if keys:
        raise _taken("external_id")


def _derived_name(first: str | None, last: str | None) -> str:
    return " ".join(n.strip() for n in (first, last) if n and n.strip())


def _rederive_display_name(user: User) -> None:
    """A display name that was made from the first and last name follows them when they
    change (one that someone chose stays as chosen)."""
    stored = User.objects.all_organizations().filter(pk=user.pk).values(
        "first_name", "last_name", "display_name").first()
    if stored and stored["display_name"] == user.display_name and stored["display_name"] == \
            _derived_name(stored["first_name"], stored["last_name"]):
        user.display_name = ""


def _prepare(user: User, *, roles: Iterable[str] | None, password: str | None) -> None:
    """The rules of a user that need no database: role types, grants and networks of
    applications, the password, every field's own validation."""
    if roles is not None:
        for name, value in role_fields(roles).items():
            setattr(user, name, value)
    elif user.pk is None:
        raise ValidationError(_("A user needs at least one role type."), code="role_required")
    if user.external_id == "":
        user.external_id = None
    if not (user.display_name or "").strip():  # what lists and the portal show
        user.display_name = _derived_name(user.first_name, user.last_name)
    user.grants = grants_module.clean(user.grants) if user.is_application else []
    user.allowed_networks = (clean_networks(user.allowed_networks) if user.is_application
                             else [])
    if password:
        validate_password(password, user)
        user.set_password(password)  # on an existing user this revokes its tokens
    elif user.pk is None:
        user.set_unusable_password()
    # (The organisation is the caller's, never the input's: no need to look it up again.)
    user.full_clean(exclude=["password", "organization"], validate_unique=False,
                    validate_constraints=False)


def _insert(user: User) -> None:
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent writer took the username or external_id
        raise ConflictError(_("The user conflicts with an existing user."),
                            code="conflict") from exc


@transaction.atomic
@raises("conflict", "invalid_username", "invalid_phone", "invalid_bsn", "invalid_network",
        "organization_immutable", "network_blocks_change", also=(role_fields, check_unique))
def save_user(
    user: User, *, roles: Iterable[str] | None = None, password: str | None = None
) -> User:
    """Validate and save `user` (new or existing), applying `roles` and `password` if given."""
    if user.pk is not None:
        _rederive_display_name(user)
    _prepare(user, roles=roles, password=password)
    check_unique(user)
    check_network(user)
    _insert(user)
    return user


@transaction.atomic
@raises("role_not_assignable", also=(save_user,))
def create_users_via_api(organization: Organization, items: list[dict]) -> list:
    """Many new persons at once (the bulk endpoint): each under the same rules as
    `create_user_via_api` — what an application may give, `_prepare`, uniqueness — with the
    database asked once for all: one query for taken usernames and keys (within the batch
    too: the first one wins, as one by one), one multi-row INSERT, one run of change-feed
    events. Answers, per item in order, the saved user or the refusal (an exception). If the
    INSERT meets a concurrent writer's row, the users are saved one by one instead."""
    from omgeving.changes.services import append_many

    results: list = []
    for fields in items:
        fields = dict(fields)
        roles = fields.pop("roles", None)
        user = User(organization=organization, **fields)
        try:
            check_roles_assignable_by_api(roles or [])
            _prepare(user, roles=roles, password=None)
        except (ValidationError, NotAllowedError) as exc:
            results.append(exc)
            continue
        results.append(user)
    new = [u for u in results if isinstance(u, User)]
    taken_names, taken_keys = _taken_values(
        organization, {u.username for u in new}, {u.external_id for u in new if u.external_id})
    for i, user in enumerate(results):
        if not isinstance(user, User):
            continue
        if user.username in taken_names:
            results[i] = _taken("username")
        elif user.external_id and user.external_id in taken_keys:
            results[i] = _taken("external_id")
        else:
            taken_names.add(user.username)
            taken_keys.add(user.external_id)
    new = [u for u in results if isinstance(u, User)]
    try:
        with transaction.atomic():
            User.objects.bulk_create(new)
            append_many(new, "created")
    except IntegrityError:
        return [_one_by_one(u) if isinstance(u, User) else u for u in results]
    for user in new:
        user._remember_loaded()
    return results


def _one_by_one(user: User):
    user.pk, user._state.adding = None, True  # as before the failed multi-row INSERT
    try:
        with transaction.atomic():
            check_unique(user)
            _insert(user)
    except (ValidationError, ConflictError) as exc:
        return exc
    return user


def check_network(user: User) -> None:
    """A change of role type, default authorisation or activation keeps every rule of the
    care network: the relations and memberships of the person are checked again."""
    if user.pk is None:
        return
    if any(user._changed(f) for f in ("is_application", "is_administrator", "authorisation")) \
            or (user.is_active and user._changed("is_active")):
        from omgeving.care.participants import check_person as check_participation
        from omgeving.network.services import check_person

        check_person(user)
        check_participation(user)


def create_user(
    *, organization: Organization, username: str, roles: Iterable[str],
    password: str | None = None, **fields,
) -> User:
    user = User(organization=organization, username=username, **fields)
    return save_user(user, roles=roles, password=password)


def update_user(user: User, *, roles: Iterable[str] | None = None, **fields) -> User:
    for name, value in fields.items():
        setattr(user, name, value)
    return save_user(user, roles=roles)


def set_password(user: User, password: str) -> User:
    """Change the password; every token issued before stops working (token version)."""
    return save_user(user, password=password)


def change_grants(user: User, *, add: Iterable[str] = (), remove: Iterable[str] = ()) -> User:
    """Give an Application user grants and take others away (the admin's checkboxes, for the
    CLI). Only Application users hold grants; unknown names are refused, not ignored."""
    if not user.is_application:
        raise ValidationError(_("Only Application users hold grants."), code="not_application")
    unknown = sorted((set(add) | set(remove)) - set(grants_module.Grant.values))
    if unknown:
        raise ValidationError(_("Unknown grant(s): %(unknown)s. Known: %(known)s.") % {
            "unknown": ", ".join(unknown), "known": ", ".join(grants_module.Grant.values)},
            code="unknown_grant")
    user.grants = [g for g in [*user.grants, *add] if g not in set(remove)]
    return save_user(user)


def deactivate_user(user: User) -> User:
    """Deactivate: the person's data is kept, they can no longer log in, tokens stop."""
    if user.is_active:
        user.is_active = False
        save_user(user)
    return user


# --- what an Application may do through the API ---------------------------------------------
# Administrators and Application users are managed in the admin only: an application that could
# create or change them could grant itself more access (OWASP API5).
API_ASSIGNABLE_ROLES = frozenset(AUTHORISATIONS)


@raises("role_not_assignable")
def check_roles_assignable_by_api(roles: Iterable[str]) -> None:
    forbidden = sorted(set(roles) - API_ASSIGNABLE_ROLES)
    if forbidden:
        raise NotAllowedError(
            _("The role type(s) %(roles)s can only be given in the admin.")
            % {"roles": ", ".join(forbidden)},
            code="role_not_assignable",
        )


@raises(also=(check_roles_assignable_by_api, save_user))
def create_user_via_api(*, organization: Organization, roles: Iterable[str], **fields) -> User:
    """An application creates persons with care authorisations only (403 otherwise)."""
    check_roles_assignable_by_api(roles)
    return create_user(organization=organization, roles=roles, **fields)


@raises("user_not_manageable", "role_not_assignable", also=(save_user,))
def update_user_via_api(user: User, *, roles: Iterable[str] | None = None, **fields) -> User:
    check_manageable_by_api(user)
    if roles is not None:
        check_roles_assignable_by_api(roles)
    return update_user(user, roles=roles, **fields)


@raises("user_not_manageable")
def deactivate_user_via_api(user: User) -> User:
    check_manageable_by_api(user)
    return deactivate_user(user)


@raises("user_not_manageable")
def check_manageable_by_api(user: User) -> None:
    if user.is_administrator or user.is_application or user.is_superuser:
        raise NotAllowedError(
            _("Administrators and Application users are managed in the admin only."),
            code="user_not_manageable",
        )

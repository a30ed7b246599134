from __future__ import annotations

import copy

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from omgeving.accounts.admin_site import is_platform_request
from omgeving.audit import services as audit
from omgeving.tenancy.models import Organization

from . import lockout, services
from .grants import Grant
from .models import ROLE_MEANINGS, LoginThrottle, Role, User

# Role types replace Django's groups and permissions; they are not managed here.
admin.site.unregister(Group)

PERSON_FIELDS = [
    "username", "first_name", "last_name", "display_name", "email", "phone",
    "date_of_birth", "bsn", "external_id", "is_active",
]


ADMIN_SENSITIVE = ("bsn", "date_of_birth")


class UserAdminForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Role types"),
        help_text=lazy(lambda: format_html(
            "{}{}", _("At most one default authorisation (Client … External), with or "
                      "without Administrator; Application stands alone."),
            format_html_join("", "<br><b>{}</b>: {}",
                             ((Role(r).label, m) for r, m in ROLE_MEANINGS.items()))), str)(),
    )
    grants = forms.MultipleChoiceField(
        choices=Grant.choices, widget=forms.CheckboxSelectMultiple, required=False,
        label=gettext_lazy("Grants"),
        help_text=gettext_lazy("Application users only: what the application may read and "
                               "write through the API. A new application holds none."),
    )
    allowed_networks = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False,
        label=gettext_lazy("Allowed address ranges"),
        help_text=gettext_lazy("Application users only: one CIDR range per line (e.g. "
                               "203.0.113.0/24). Logins from elsewhere are refused like a "
                               "wrong password and never lock the application. Empty: any "
                               "address."),
    )
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, strip=False,
        help_text=gettext_lazy("Leave empty to keep the current password. Changing it revokes "
                               "the user's tokens."),
    )
    password_confirm = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, strip=False,
        label=gettext_lazy("Password (again)"),
    )

    organization_for_new = None  # set by UserAdmin.get_form for an organisation's admin
    editor = None  # the administrator using the form (UserAdmin.get_form)

    class Meta:
        model = User
        fields = ["organization", *PERSON_FIELDS, "grants"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["roles"] = self.instance.roles
            self.initial["grants"] = self.instance.grants
            self.initial["allowed_networks"] = "\n".join(self.instance.allowed_networks or [])
        if "organization" in self.fields:
            self.fields["organization"].required = True

    def clean_allowed_networks(self):
        lines = [x.strip() for x in self.cleaned_data.get("allowed_networks", "").splitlines()]
        return services.clean_networks([x for x in lines if x])

    def clean(self):
        data = super().clean()
        try:
            self._role_fields = services.role_fields(data.get("roles") or [])
        except ValidationError as exc:
            self.add_error("roles", exc)
            return data
        password = data.get("password")
        if password and self._someone_elses_administrator():
            self.add_error("password", _(
                "Administrators set their own password; you cannot set another "
                "administrator's. The platform operator can reset it with omgeving user "
                "set-password."))
            return data
        if password != data.get("password_confirm"):
            self.add_error("password_confirm", _("The two passwords differ."))
        elif password:
            try:
                validate_password(password, self.instance)
            except ValidationError as exc:
                self.add_error("password", exc)
        elif not self.instance.pk and (
            self._role_fields["is_application"] or self._role_fields["is_administrator"]
        ):
            self.add_error("password", _("Application users and administrators need a password."))
        candidate = self.instance
        if self.organization_for_new is not None and not candidate.pk:
            candidate.organization = self.organization_for_new
        if candidate.pk:
            # The same rule service as the API: a role change or reactivation that would
            # break a relation or membership is refused, naming each one.
            changed = copy.copy(candidate)
            for name, value in self._role_fields.items():
                setattr(changed, name, value)
            changed.is_active = data.get("is_active", candidate.is_active)
            try:
                services.check_network(changed)
            except ValidationError as exc:
                self.add_error(None, exc.messages)
        if data.get("username") and candidate.organization_id:
            try:
                services.check_unique(candidate)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


    def _someone_elses_administrator(self) -> bool:
        """Is this an existing administrator (or superuser) other than the editor? Whoever
        sets their password could sign in as them (the takeover of issue 20)."""
        if not self.instance.pk:
            return False
        stored = User.objects.all_organizations().filter(pk=self.instance.pk).values(
            "is_administrator", "is_superuser").first() or {}
        return (any(stored.values())
                and (self.editor is None or self.editor.pk != self.instance.pk))


def _person_choices(site, model) -> dict:
    """The `person_choices` of the admin, or the inline, whose form has this model."""
    if model in site._registry:
        return getattr(site._registry[model], "person_choices", {})
    for model_admin in site._registry.values():
        for inline in getattr(model_admin, "inlines", ()):
            if inline.model is model:
                return getattr(inline, "person_choices", {})
    return {}


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    admin_audience = "scoped"
    form = UserAdminForm
    list_display = ["username", "display_name", "roles_display", "external_id", "is_active"]
    list_filter = ["is_active", "is_application", "is_administrator", "authorisation"]
    search_fields = ["username", "first_name", "last_name", "display_name", "email"]
    readonly_fields = ["date_joined", "modified", "last_login", "access_log_export"]

    @admin.display(description=gettext_lazy("Role types"))
    def roles_display(self, obj):
        return ", ".join(str(Role(r).label) for r in obj.roles)

    @admin.display(description=gettext_lazy("Who accessed this person's data"))
    def access_log_export(self, obj):
        if not obj or not obj.pk:
            return "-"
        return format_html(
            _('Export for the right of access: <a href="{}">CSV</a> · <a href="{}">JSON</a>'),
            reverse("admin:accounts_user_access_log", args=[obj.pk, "csv"]),
            reverse("admin:accounts_user_access_log", args=[obj.pk, "json"]),
        )

    def get_urls(self):
        return [
            path("<int:pk>/access-log.<str:fmt>", self.admin_site.admin_view(
                self.access_log_view), name="accounts_user_access_log"),
            *super().get_urls(),
        ]

    def access_log_view(self, request, pk, fmt):
        """One person's access log, as CSV or JSON (the GDPR right of access)."""
        person = self.get_queryset(request).filter(pk=pk).first()
        if person is None or fmt not in ("csv", "json") or is_platform_request(request):
            raise Http404
        organization = request.organization
        audit.record_admin(request, person=person, resource="admin:access-log",
                           action="read")
        body = (audit.export_csv if fmt == "csv" else audit.export_json)(organization, person)
        response = HttpResponse(
            body, content_type="text/csv; charset=utf-8" if fmt == "csv" else "application/json")
        response["Content-Disposition"] = (
            f'attachment; filename="access-log-{organization.slug}-{person.username}.{fmt}"')
        return response

    def get_search_results(self, request, queryset, search_term):
        """For an autocomplete of another admin's form: only the people that fit that
        field (its admin's `person_choices`, e.g. a relation's client is an active client)."""
        queryset, distinct = super().get_search_results(request, queryset, search_term)
        if "field_name" in request.GET:
            from django.apps import apps

            try:
                source = apps.get_model(request.GET.get("app_label", ""),
                                        request.GET.get("model_name", ""))
            except LookupError:
                return queryset.none(), distinct
            choices = _person_choices(self.admin_site, source)
            if request.GET["field_name"] in choices:
                queryset = queryset.filter(choices[request.GET["field_name"]])
        return queryset, distinct

    def get_queryset(self, request):
        qs = User.objects.all_organizations() if is_platform_request(request) else (
            User.objects.for_organization(request.organization)
        )
        return qs.select_related("organization")

    def get_list_display(self, request):
        if is_platform_request(request):
            return ["username", "organization", "roles_display", "is_active"]
        return self.list_display

    def get_fieldsets(self, request, obj=None):
        who = ["organization", "username"] if is_platform_request(request) else ["username"]
        return [
            (None, {"fields": [*who, "roles", "password", "password_confirm"]}),
            (_("API access (Application users)"), {"fields": ["grants", "allowed_networks"]}),
            (_("Personal data"), {"fields": [
                "first_name", "last_name", "display_name", "email", "phone",
                "date_of_birth", "bsn", "external_id"]}),
            (_("Status"), {"fields": ["is_active", "date_joined", "modified", "last_login"]}),
            (_("Access log"), {"fields": ["access_log_export"]}),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not is_platform_request(request):
            kwargs["fields"] = [*PERSON_FIELDS, "roles", "grants", "allowed_networks",
                                "password", "password_confirm"]
        form = super().get_form(request, obj, change=change, **kwargs)
        form.organization_for_new = getattr(request, "organization", None)
        form.editor = request.user
        if is_platform_request(request) and "organization" in form.base_fields:
            form.base_fields["organization"].queryset = Organization.objects.all()
            form.base_fields["organization"].disabled = obj is not None  # never moves
        return form

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            person = response.context_data["original"]
            audit.record_admin(request, person=person, resource="admin:users", action="read",
                               sensitive_fields=ADMIN_SENSITIVE)
        return response

    def save_model(self, request, obj, form, change):
        if not is_platform_request(request):
            obj.organization = request.organization
        obj.grants = form.cleaned_data.get("grants") or []
        obj.allowed_networks = form.cleaned_data.get("allowed_networks") or []
        services.save_user(
            obj, roles=form.cleaned_data["roles"], password=form.cleaned_data.get("password")
        )
        # In the admin's transaction: the entry commits with the change or not at all.
        audit.record_admin(request, person=obj, resource="admin:users",
                           action="update" if change else "create",
                           sensitive_fields=[f for f in ADMIN_SENSITIVE
                                             if f in form.changed_data])

    def delete_model(self, request, obj):
        services.deactivate_user(obj)

    def has_delete_permission(self, request, obj=None):
        # Users are deactivated, never deleted: their data and history are kept.
        return False


@admin.register(LoginThrottle)
class LockoutAdmin(admin.ModelAdmin):
    admin_audience = "scoped"
    """The organisation's current login lockouts; deleting one clears it (as
    `omgeving lockout reset` does). Platform superusers see the platform's own."""

    list_display = ["scope", "username", "ip", "count", "locked_until"]
    search_fields = ["username", "ip"]
    readonly_fields = ["scope", "username", "ip", "count", "window_start", "locked_until"]
    fields = readonly_fields

    def get_queryset(self, request):
        organization = None if is_platform_request(request) else request.organization
        return lockout.current_lockouts(organization)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff

    def has_delete_permission(self, request, obj=None):
        return request.user.is_staff

    def has_module_permission(self, request):
        return request.user.is_staff


from . import otp_admin  # noqa: E402,F401  (scoped TOTP device admin)

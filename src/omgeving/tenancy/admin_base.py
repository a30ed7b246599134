"""The one base every tenant-owned model's admin uses: scoped to the host's organisation,
hidden when the organisation's feature is off, rules checked through the services."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError

from omgeving.accounts.admin_site import Gated, is_platform_request


def _scope_foreign_keys(db_field, request, kwargs):
    related = db_field.related_model
    if hasattr(related.objects, "for_organization"):
        kwargs["queryset"] = related.objects.for_organization(request.organization)
    return kwargs


def _rule_checked(form_class, request, check):
    """A form whose instance belongs to the request's organisation and passes `check`."""

    class RuleCheckedForm(form_class):
        def _post_clean(self):
            self.instance.organization = request.organization
            super()._post_clean()
            if check is not None and not self.errors:
                try:
                    check(self.instance)
                except ValidationError as exc:
                    self._update_errors(exc)

    return RuleCheckedForm


class TenantAccess(Gated):
    admin_audience = "organisation"
    feature: str | None = None
    # Foreign key to a person → who fits (a Q on User): the form offers only them, and so does
    # the autocomplete (accounts.admin.UserAdmin.get_search_results). Rules still decide.
    person_choices: dict = {}

    def _allowed(self, request) -> bool:
        organization = getattr(request, "organization", None)
        return (not is_platform_request(request)
                and (self.feature is None or organization.has_feature(self.feature)))

    def get_queryset(self, request):
        if is_platform_request(request):
            return self.model.objects.none()
        return self.model.objects.for_organization(request.organization)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = _scope_foreign_keys(db_field, request, kwargs)
        if db_field.name in self.person_choices:
            kwargs["queryset"] = kwargs["queryset"].filter(
                self.person_choices[db_field.name]).order_by("display_name", "username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TenantModelAdmin(TenantAccess, admin.ModelAdmin):
    """`rule_check` runs the service's rules on the form's instance (errors show on the
    form); `rule_save` is the service that stores it; `rule_delete` the one that deletes it
    (the API's: a tombstone, an ended period). Without one, a Tombstoned object becomes a
    tombstone and any other is deleted."""

    rule_check = None
    rule_save = None
    rule_delete = None
    exclude = ["organization"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return _rule_checked(form, request, type(self).rule_check)

    def save_model(self, request, obj, form, change):
        obj.organization = request.organization
        (type(self).rule_save or (lambda o: o.save()))(obj)

    def delete_model(self, request, obj):
        from .services import delete

        (type(self).rule_delete or delete)(obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            instance.organization = request.organization
            instance.save()  # the inline forms have run the rules already
        for instance in formset.deleted_objects:
            instance.delete()


class ReadOnlyAdminMixin:
    """Records kept as they happened: shown, never added, changed or deleted here."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TenantInline(TenantAccess, admin.TabularInline):
    rule_check = None
    rule_save = None
    exclude = ["organization"]
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _rule_checked(formset.form, request, type(self).rule_check)
        return formset

"""Every page of the admin shows an organisation's administrator their own organisation only,
and the platform's internals (the task queue, organisations) to platform superusers only.
Models registered by a library without saying who they are for become platform-only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from omgeving.accounts import lockout
from omgeving.accounts.admin_site import AUDIENCES, OmgevingAdminSite, PlatformOnly
from omgeving.accounts.models import LoginThrottle, User
from omgeving.accounts.otp import add_totp_device
from omgeving.audit.models import AccessLogEntry, AccessRefusal
from omgeving.audit.services import record_refusal
from omgeving.care import models as care
from omgeving.care import services as content
from omgeving.demo import worked_content, worked_example
from omgeving.network import care_status, families, invitations
from omgeving.network import services as network
from omgeving.network.models import CareStatus, Family, Invitation, RelationType
from omgeving.tenancy.admin_base import TenantAccess
from omgeving.tenancy.models import FEATURES, Organization
from omgeving.tenancy.services import set_features
from omgeving.webhooks import services as webhooks
from omgeving.webhooks.models import Webhook
from omgeving.webhooks.tasks import deliver

from ..helpers import ADMIN_PASSWORD, admin_of, client_for, log_in, make_app, totp_code

pytestmark = pytest.mark.django_db

# Admins that scope themselves by host instead of through TenantAccess; each has its own
# tests (test_admin_login.py). A new one must be reviewed and added here.
SCOPED = {"accounts.User", "accounts.LoginThrottle", "otp_totp.TOTPDevice"}
PLATFORM = {"tenancy.Organization", "django_tasks_database.DBTaskResult"}


def test_every_admin_says_who_it_is_for():
    for model, model_admin in admin.site._registry.items():
        label, audience = model._meta.label, getattr(model_admin, "admin_audience", None)
        assert audience in AUDIENCES, label
        if audience == "organisation":
            assert isinstance(model_admin, TenantAccess), label
        elif audience == "scoped":
            assert label in SCOPED, f"{label} scopes itself: review it and add it to SCOPED"
        else:
            assert audience == "platform"
            assert label in PLATFORM, f"{label} is platform-only: is that right?"


def test_an_admin_that_does_not_say_becomes_platform_only():
    site = OmgevingAdminSite(name="probe")
    site.register(DBTaskResult, ModelAdmin)
    assert isinstance(site._registry[DBTaskResult], PlatformOnly)


def everything_of(org):
    """A row of every model the admin shows, in `org`."""
    set_features(org, on=FEATURES)
    people = worked_example(org)
    worked_content(org, people)
    content.save_document(care.Document(organization=org, client=people["joost"],
                                        author=people["pieter"], title="Plan"),
                          upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n"))
    app = make_app(org, username=f"app-{org.slug}")
    network.save_relation_type(RelationType(organization=org, name="moeder"))
    families.save_family(Family(organization=org, name="Familie De Vries"),
                         members=[people["joost"]])
    status = care_status.save_care_status(CareStatus(organization=org, name="Wachtlijst"))
    care_status.set_care_status(people["joost"], status, set_by=app)
    invitations.create_invitation(Invitation(
        organization=org, kind="network", client=people["joost"], email="oma@example.org",
        authorisation="GUARDIAN", invited_by=app))
    hook = Webhook.objects.create(organization=org, owner=app, url="https://93.184.216.34/h",
                                  events=["users.*"], secret=webhooks.new_secret())
    webhooks.ping(hook)  # a delivery
    deliver.enqueue(hook.pk)  # a task in the platform's queue (ping's waits for the commit)
    record_refusal(organization=org, actor=app, resource="users", action="read", status=403)
    for _ in range(5):
        lockout.failed(org, "raadsel", "198.51.100.7")
    from omgeving.tokens.services import issue_token

    client_for(org, issue_token(app).token).get(f"/api/users/{people['joost'].pk}/")  # a log row
    admin_user, _ = admin_of(org, username=f"beheer-{org.slug}")
    return admin_user


def rows_of(model, org):
    """The rows of `model` that belong to `org` (every row, for platform internals)."""
    manager = model._default_manager
    if model is DBTaskResult:
        return list(manager.all())
    if model is Organization:
        return [org]
    if model is LoginThrottle:
        return list(lockout.current_lockouts(org))
    if model is User:
        return list(User.objects.for_organization(org))
    queryset = (manager.all_organizations() if hasattr(manager, "all_organizations")
                else manager.all())
    field = "organization" if any(f.name == "organization" for f in model._meta.fields) \
        else "user__organization"
    return list(queryset.filter(**{field: org}))


def test_no_admin_page_shows_another_organisations_rows(org_a, org_b):
    everything_of(org_b)
    _, device = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    for model in admin.site._registry:
        label = model._meta.label
        theirs = rows_of(model, org_b)
        assert theirs, f"give {label} a row in everything_of()"
        info = (model._meta.app_label, model._meta.model_name)
        listing = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert listing.status_code in (200, 403), label
        if listing.status_code == 200:
            shown = listing.context_data["cl"].result_list
            assert not {row.pk for row in shown} & {row.pk for row in theirs}, label
        for row in theirs:
            page = client.get(reverse("admin:{}_{}_change".format(*info), args=[row.pk]))
            assert page.status_code in (302, 403, 404), f"{label} {row.pk}"
            if page.status_code == 302:  # Django's "does not exist" redirect to the index
                assert "/change/" not in page["Location"], label


def test_the_task_queue_is_the_platforms_only(org_a):
    admin_user = everything_of(org_a)
    client, _ = log_in(org_a, admin_user.username,
                       token=totp_code(admin_user.totpdevice_set.get()))
    url = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    assert client.get("/admin/").status_code == 200
    assert url not in client.get("/admin/").content.decode()
    assert client.get(url).status_code == 403
    task = DBTaskResult.objects.first()
    assert client.get(reverse("admin:django_tasks_database_dbtaskresult_change",
                              args=[task.pk])).status_code == 403

    root = User.objects.create_superuser("root", password=ADMIN_PASSWORD)
    platform, _ = log_in(None, "root", token=totp_code(add_totp_device(root)))
    assert url in platform.get("/admin/").content.decode()
    assert platform.get(url).status_code == 200


def test_log_and_refusals_have_rows(org_a):
    # everything_of() really gives the models it claims to (the cross test depends on it)
    everything_of(org_a)
    assert AccessLogEntry.objects.for_organization(org_a).filter(action="read").exists()
    assert AccessRefusal.objects.for_organization(org_a).exists()


NEW_PASSWORD = "a-password-of-my-choosing-9"


def test_an_administrator_cannot_set_another_administrators_password(org_a, app_a):
    _, device = admin_of(org_a)
    colleague, _ = admin_of(org_a, username="collega")
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    response = client.post(f"/admin/accounts/user/{colleague.pk}/change/", {
        "username": "collega", "roles": ["ADMINISTRATOR"], "is_active": "on",
        "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 200  # the form again, the error beside the field
    assert "password" in response.context_data["adminform"].form.errors
    assert User.objects.get(pk=colleague.pk).check_password(ADMIN_PASSWORD)
    # An application's password is still the administrator's to set, and so is their own.
    for user, roles in ((app_a, ["APPLICATION"]), (User.objects.get(username="beheer"),
                                                   ["ADMINISTRATOR"])):
        response = client.post(f"/admin/accounts/user/{user.pk}/change/", {
            "username": user.username, "roles": roles, "grants": user.grants,
            "is_active": "on", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
        assert response.status_code == 302, user.username
        assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_nobody_enrols_or_changes_a_second_factor_for_someone_else(org_a):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    me, device = admin_of(org_a)
    colleague, theirs = admin_of(org_a, username="collega")
    client, _ = log_in(org_a, "beheer", token=totp_code(device))
    chosen_key = "3132333435363738393031323334353637383930"
    response = client.post("/admin/otp_totp/totpdevice/add/", {
        "user": colleague.pk, "name": "mine now", "key": chosen_key, "step": 30, "t0": 0,
        "digits": 6, "tolerance": 1, "drift": 0, "confirmed": "on",
        "throttling_failure_count": 0})
    assert response.status_code == 200  # the add page enrols its own user, with a code
    assert not TOTPDevice.objects.filter(key=chosen_key).exists()
    assert list(TOTPDevice.objects.filter(user=colleague)) == [theirs]
    change = f"/admin/otp_totp/totpdevice/{theirs.pk}/change/"
    client.post(change, {"user": colleague.pk, "name": "x", "key": chosen_key, "step": 30,
                         "t0": 0, "digits": 6, "tolerance": 1, "drift": 0,
                         "confirmed": "on", "throttling_failure_count": 0})
    theirs.refresh_from_db()
    assert theirs.key != chosen_key
    # A colleague's device can still be removed (a lost phone), and one's own is one's own.
    assert client.post(f"/admin/otp_totp/totpdevice/{theirs.pk}/delete/",
                       {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=theirs.pk).exists()
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").status_code == 200
    assert me.totpdevice_set.filter(confirmed=True).count() == 1


def test_an_administrator_sets_up_their_own_authenticator_as_the_cli_does(org_a):
    """The add page: a key the server made, shown once as a QR code, confirmed by a first
    code; then it replaces the old device. A key sent in the form is ignored."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    me, old = admin_of(org_a)
    client, _ = log_in(org_a, "beheer", token=totp_code(old))
    page = client.get("/admin/otp_totp/totpdevice/add/")
    assert page.status_code == 200
    pending = TOTPDevice.objects.get(user=me, confirmed=False)
    text = page.content.decode()
    assert f"/admin/otp_totp/totpdevice/{pending.pk}/qrcode/" in text
    assert client.get(f"/admin/otp_totp/totpdevice/{pending.pk}/qrcode/").status_code == 200
    assert 'name="key"' not in text and "old one stops working" in text
    wrong = str((int(totp_code(pending)) + 1) % 1_000_000).zfill(6)
    again = client.post("/admin/otp_totp/totpdevice/add/", {"code": wrong})
    assert again.status_code == 200 and "code" in again.context_data["form"].errors
    assert TOTPDevice.objects.filter(pk=old.pk, confirmed=True).exists()  # still the one
    pending.refresh_from_db()
    pending.throttle_reset()  # django-otp's own delay after a wrong code: not what is tested
    chosen = "3132333435363738393031323334353637383930"
    done = client.post("/admin/otp_totp/totpdevice/add/", {
        "code": totp_code(pending), "key": chosen, "user": me.pk})
    assert done.status_code == 302
    [device] = TOTPDevice.objects.filter(user=me)
    assert device.pk == pending.pk and device.confirmed and device.key != chosen
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403
